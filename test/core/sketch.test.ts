import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SPARSE_MAX, addToSketch, emptySketch, mergeSketches, sketchCount, type Sketch } from "../../src/core/sketch";

const build = (ids: readonly string[]): Sketch => ids.reduce<Sketch>((s, id) => addToSketch(s, id), emptySketch());

describe("distinct-user sketch", () => {
  it("counts exactly up to its sparse limit, and keeps hashes, not ids", () => {
    const ids = Array.from({ length: SPARSE_MAX }, (_, i) => `dana${i}@acme.example`);
    const s = build(ids);
    expect(sketchCount(s)).toBe(SPARSE_MAX);
    expect(JSON.stringify(s)).not.toContain("acme");
  });

  it("is idempotent and order-insensitive (a set), sparse or dense", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 120 }), fc.integer(), (xs, seed) => {
        const ids = xs.map((x) => `u_${x}`);
        const shuffled = [...ids].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 17 + seed) % 7) || (a < b ? 1 : -1));
        expect(build([...ids, ...ids])).toEqual(build(ids));
        expect(build(shuffled)).toEqual(build(ids));
        expect(mergeSketches([build(ids.slice(0, 30)), build(ids.slice(30))])).toEqual(build(ids));
      }),
      { numRuns: 200 },
    );
  });

  it("estimates 10,000 distinct users within 15 %, in 256 characters", () => {
    const s = build(Array.from({ length: 10_000 }, (_, i) => `user-${i}`));
    expect(Math.abs(sketchCount(s) - 10_000) / 10_000).toBeLessThan(0.15);
    expect(JSON.stringify(s).length).toBeLessThanOrEqual(270);
  });

  it("estimates small dense sets closely (linear counting)", () => {
    for (const n of [40, 100, 300]) {
      const count = sketchCount(build(Array.from({ length: n }, (_, i) => `x${i}`)));
      expect(Math.abs(count - n) / n).toBeLessThan(0.12);
    }
  });
});
