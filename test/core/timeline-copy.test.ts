import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeCopy, readCopy } from "../../src/core/timeline-copy";

/** What storage answers (src/store/timeline.ts, loadTimelines): every point from `since` on, and the latest one before. */
function stored(all: { at: number }[], since: number) {
  const before = all.filter((p) => p.at < since).at(-1);
  return [...(before ? [before] : []), ...all.filter((p) => p.at >= since)];
}

describe("a timeline copy", () => {
  it("answers every later `since` exactly as storage would, and refuses an earlier one", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 30 }), fc.integer({ min: 0, max: 220 }), fc.integer({ min: 0, max: 220 }), fc.integer({ min: 0, max: 220 }), (ats, since, keepFrom, later) => {
        const all = [...ats].sort((a, b) => a - b).map((at) => ({ at, score: at % 7 }));
        const copy = makeCopy(stored(all, since), since, keepFrom);
        const read = readCopy(copy, later);
        if (later < Math.max(since, keepFrom)) expect(read).toBeNull();
        else expect(read).toEqual(stored(all, later));
      }),
      { numRuns: 2000 },
    );
  });
});
