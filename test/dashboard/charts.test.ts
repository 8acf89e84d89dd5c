import { describe, expect, it } from "vitest";
import { barChart, funnelChart, lineChart, niceTicks } from "../../src/dashboard/charts";

const count = (svg: string, tag: string) => (svg.match(new RegExp(`<${tag}[ >]`, "g")) ?? []).length;

describe("SVG charts", () => {
  it("a bar chart has an accessible title and description, one bar per value, and its table", () => {
    const c = barChart({ id: "dist", title: "Health distribution", desc: "Customers per band", bars: [{ label: "green", value: 3 }, { label: "red", value: 1 }] });
    expect(c.svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="dist-t dist-d"/);
    expect(c.svg).toContain('<title id="dist-t">Health distribution</title>');
    expect(c.svg).toContain('<desc id="dist-d">Customers per band</desc>');
    expect(count(c.svg, "rect")).toBe(2);
    expect(c.table.rows).toEqual([["green", "3"], ["red", "1"]]);
  });

  it("labels the x axis sparsely on long series, always keeping the last label clear of the one before", () => {
    const labels = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const c = barChart({ id: "u", title: "t", desc: "d", bars: labels.map((label) => ({ label, value: 0 })) });
    const shown = [...c.svg.matchAll(/class="tick">(d\d+)</g)].map((m) => m[1]);
    expect(shown).toEqual(["d0", "d4", "d8", "d12", "d16", "d20", "d24", "d29"]);
    expect(c.svg).not.toContain('class="value"');
  });

  it("escapes every label", () => {
    const c = barChart({ id: "x", title: "<b>t</b>", desc: "d", bars: [{ label: `<script>alert("x")</script>`, value: 1 }] });
    expect(c.svg).not.toContain("<script>");
    expect(c.svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(c.svg).toContain("&lt;b&gt;t&lt;/b&gt;");
  });

  it("a line chart breaks at missing values and draws a dot per known value", () => {
    const c = lineChart({ id: "nps", title: "NPS", desc: "d", labels: ["a", "b", "c", "d"], lines: [{ name: "NPS", color: "#000", values: [10, null, 30, 40] }], min: -100, max: 100 });
    const d = /<path d="([^"]+)"/.exec(c.svg)![1]!;
    // Two pieces: a lone point, then a segment: M a · M c L d.
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(1);
    expect(count(c.svg, "circle")).toBe(3);
    expect(c.table.rows[1]).toEqual(["b", "–"]);
  });

  it("a funnel draws one bar per step with its note", () => {
    const c = funnelChart({ id: "f", title: "Funnel", desc: "d", steps: [{ label: "a", value: 10 }, { label: "b", value: 5, note: "50%" }] });
    expect(count(c.svg, "rect")).toBe(2);
    expect(c.svg).toContain("5 · 50%");
  });

  it("without data a chart still renders, saying so", () => {
    for (const c of [
      barChart({ id: "e1", title: "t", desc: "d", bars: [] }),
      lineChart({ id: "e2", title: "t", desc: "d", labels: ["a"], lines: [{ name: "x", color: "#000", values: [null] }] }),
      funnelChart({ id: "e3", title: "t", desc: "d", steps: [] }),
    ]) {
      expect(c.svg).toContain("No data yet");
      expect(c.svg).toContain("<title");
    }
  });

  it("axis ticks are round numbers covering the range", () => {
    expect(niceTicks(0, 100)).toEqual([0, 25, 50, 75, 100]);
    expect(niceTicks(0, 7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(-100, 100)).toEqual([-100, -50, 0, 50, 100]);
    // Counts never get fractional ticks.
    expect(niceTicks(0, 1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 1, true)).toEqual([0, 1]);
    expect(niceTicks(0, 3, true)).toEqual([0, 1, 2, 3]);
  });
});
