import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { W, barChart, categoryLabels, funnelChart, niceTicks } from "../../src/dashboard/charts";
import { CHAR_PX, DAY, LABEL_GAP, WINDOW_DAYS, grainOf, labelWidth, lastDays, timeAxis, timeScale } from "../../src/dashboard/time-axis";
import { timeBarChart, timeLineChart } from "../../src/dashboard/time-charts";

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

  it("labels a long category axis sparsely, always keeping the last label clear of the one before", () => {
    const labels = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const c = barChart({ id: "u", title: "t", desc: "d", bars: labels.map((label) => ({ label, value: 0 })) });
    const shown = [...c.svg.matchAll(/class="tick">(d\d+)</g)].map((m) => m[1]);
    // 30 slots of 19.2 px; a 3-character label needs 21 px plus the gap: every second one, then the last.
    expect(shown).toEqual(["d0", "d2", "d4", "d6", "d8", "d10", "d12", "d14", "d16", "d18", "d20", "d22", "d24", "d26", "d29"]);
    expect(c.svg).not.toContain('class="value"');
  });

  it("category labels never overlap nor leave the picture, cutting long ones with an ellipsis", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 60 }), (labels) => {
        const slot = (W - 48 - 16) / labels.length;
        const { shown, text } = categoryLabels(labels, slot);
        const boxes = labels.flatMap((l, i) => (shown(i) ? [{ mid: 48 + (i + 0.5) * slot, w: text(l).length * CHAR_PX }] : []));
        for (const b of boxes) {
          expect(b.mid - b.w / 2).toBeGreaterThanOrEqual(0);
          expect(b.mid + b.w / 2).toBeLessThanOrEqual(W);
        }
        for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.mid - boxes[i]!.w / 2 - (boxes[i - 1]!.mid + boxes[i - 1]!.w / 2)).toBeGreaterThanOrEqual(LABEL_GAP - 1e-9);
      }),
    );
  });

  it("escapes every label", () => {
    const c = barChart({ id: "x", title: "<b>t</b>", desc: "d", bars: [{ label: `<script>alert("x")</script>`, value: 1 }] });
    expect(c.svg).not.toContain("<script>");
    expect(c.svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(c.svg).toContain("&lt;b&gt;t&lt;/b&gt;");
  });

  it("a line chart breaks at missing values and draws a dot per known value", () => {
    const w = lastDays(7, Date.UTC(2026, 10, 20));
    const points = [10, null, 30, 40].map((value, i) => ({ at: w.from + (i + 0.5) * DAY, value, label: "abcd"[i] }));
    const c = timeLineChart({ id: "nps", title: "NPS", desc: "d", window: w, lines: [{ name: "NPS", color: "#000", points }], min: -100, max: 100 });
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
      timeLineChart({ id: "e2", title: "t", desc: "d", window: lastDays(7, 0), lines: [{ name: "x", color: "#000", points: [{ at: -DAY, value: null }] }] }),
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

const arbWindow = fc.record({ days: fc.constantFrom(...WINDOW_DAYS), now: fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2099, 0, 1) }) }).map(({ days, now }) => ({ days, ...lastDays(days, now) }));
const svgTicks = (svg: string) => [...svg.matchAll(/<text x="([\d.]+)" y="\d+" text-anchor="middle" class="tick">([^<]+)</g)].map((m) => ({ x: Number(m[1]), label: m[2]! }));

describe("time axis", () => {
  it("labels never overlap and never leave the picture, for any width of 200 px or more and any window", () => {
    fc.assert(
      fc.property(arbWindow, fc.integer({ min: 200, max: 2400 }), (w, width) => {
        const { ticks } = timeAxis(w, 48, width - 16, width);
        expect(ticks.length).toBeGreaterThanOrEqual(1);
        for (const t of ticks) {
          expect(t.x - labelWidth(t.label) / 2).toBeGreaterThanOrEqual(0);
          expect(t.x + labelWidth(t.label) / 2).toBeLessThanOrEqual(width);
        }
        for (let i = 1; i < ticks.length; i++) {
          const a = ticks[i - 1]!;
          const b = ticks[i]!;
          expect(b.x - labelWidth(b.label) / 2 - (a.x + labelWidth(a.label) / 2)).toBeGreaterThanOrEqual(LABEL_GAP);
        }
      }),
    );
  });

  it("spans exactly the chosen window, with ticks inside it, in day, week or month steps by its length", () => {
    fc.assert(
      fc.property(arbWindow, fc.integer({ min: 200, max: 2400 }), (w, width) => {
        expect(w.to - w.from).toBe(w.days * DAY);
        const x = timeScale(w, 48, width - 16);
        expect(x(w.from)).toBe(48);
        expect(x(w.to)).toBe(width - 16);
        const { grain, ticks } = timeAxis(w, 48, width - 16, width);
        expect(grain).toBe(w.days <= 30 ? "day" : w.days <= 90 ? "week" : "month");
        for (const t of ticks) {
          expect(t.at).toBeGreaterThanOrEqual(w.from);
          expect(t.at).toBeLessThanOrEqual(w.to);
          if (grain === "week") expect(new Date(t.at).getUTCDay()).toBe(1);
          if (grain === "month") expect(new Date(t.at).getUTCDate()).toBe(1);
          // Days and weeks read "Nov 6": never a bare month name on a month-long window.
          if (grain !== "month") expect(t.label).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/);
        }
      }),
    );
  });

  it("uses the densest labels that fit: every day on a 7-day window at full width (the window's closing midnight would spill over the edge)", () => {
    const w = lastDays(7, Date.UTC(2026, 10, 20, 15));
    expect(timeAxis(w, 48, W - 16, W).ticks.map((t) => t.label)).toEqual(["Nov 14", "Nov 15", "Nov 16", "Nov 17", "Nov 18", "Nov 19", "Nov 20"]);
    const year = lastDays(365, Date.UTC(2026, 10, 20, 15));
    expect(grainOf(year)).toBe("month");
    expect(timeAxis(year, 48, W - 16, W).ticks.map((t) => t.label)).toEqual(["Dec", "Jan 2026", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]);
  });
});

describe("charts over time", () => {
  const w = lastDays(30, Date.UTC(2026, 10, 20, 15));

  it("a 30-day line chart is labelled by day inside the window and draws nothing outside it", () => {
    const c = timeLineChart({
      id: "s",
      title: "Score",
      desc: "d",
      window: w,
      lines: [{ name: "Score", color: "#000", points: [{ at: w.from - 40 * DAY, value: 10 }, { at: w.from + DAY, value: 50 }, { at: w.to - DAY, value: 60 }] }],
    });
    const labels = svgTicks(c.svg).map((t) => t.label);
    expect(labels.length).toBeGreaterThan(3);
    for (const l of labels) expect(l).toMatch(/^(Oct|Nov) \d{1,2}$/);
    expect((c.svg.match(/<circle /g) ?? []).length).toBe(2);
    expect(c.table.rows.map((r) => r[0])).toEqual(["2026-10-23", "2026-11-20"]);
  });

  it("shows the sample size of each point, and draws a point on too few answers hollow, outside the solid line", () => {
    const c = timeLineChart({
      id: "nps",
      title: "NPS",
      desc: "d",
      window: w,
      lines: [{ name: "NPS", color: "#6a1b9a", points: [{ at: w.from + 3 * DAY, value: 40, n: 12, label: "w1" }, { at: w.from + 10 * DAY, value: -30, n: 2, label: "w2" }, { at: w.from + 17 * DAY, value: 35, n: 15, label: "w3" }] }],
      min: -100,
      max: 100,
      minN: 10,
    });
    expect(c.svg).toContain("<title>NPS w1: 40 (n=12)</title>");
    expect(c.svg).toContain("<title>NPS w2: -30 (n=2) · too few to trust</title>");
    expect((c.svg.match(/class="tentative"/g) ?? []).length).toBe(1);
    expect(c.svg).toContain("n &lt; 10: tentative");
    // The solid line skips the tentative point: two separate pieces.
    const solid = /<path d="([^"]*)" fill="none" stroke="#6a1b9a" stroke-width="2"/.exec(c.svg)![1]!;
    expect(solid.match(/M/g)).toHaveLength(2);
    expect(c.table.head).toEqual(["", "NPS", "n"]);
    expect(c.table.rows[1]).toEqual(["w2", "-30", 2]);
  });

  it("a bar per day sits on its day of the window", () => {
    const c = timeBarChart({ id: "u", title: "Users", desc: "d", window: w, color: "#000", bars: [{ from: w.to - DAY, to: w.to, value: 4 }, { from: w.from - DAY, to: w.from, value: 9 }] });
    const rect = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(c.svg)!;
    expect(Number(rect[1]) + Number(rect[2])).toBeLessThanOrEqual(W - 16);
    expect(Number(rect[1])).toBeGreaterThan(W - 16 - 576 / 30);
    expect(c.table.rows).toEqual([["2026-11-20", "4"]]);
  });
});
