import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptySample, foldSample, fromStoredRow, takeSample, toStoredRow, type SampleState } from "../../src/core/calibrate-sample";
import { buildRows, type CalibrationRow } from "../../src/core/calibrate-split";
import { DAY, T0, cohort } from "./calibrate-cohort";

const weeks = 40;
const histories = cohort(9, 50, weeks, 0.03);

/** Folds the customers `pageSize` at a time, storing what each page keeps, as the paged job does. */
function inPages(pageSize: number, cap: number): { state: SampleState; sample: CalibrationRow[]; stored: number } {
  let state = emptySample();
  const stored: CalibrationRow[] = [];
  for (let i = 0; i < histories.length; i += pageSize) {
    const page = histories.slice(i, i + pageSize);
    const built = buildRows(page, { horizonDays: 90, stepDays: 7, until: T0 + weeks * 7 * DAY });
    const folded = foldSample(state, { ...built, customers: page.length }, cap);
    state = folded.state;
    stored.push(...folded.kept);
  }
  return { state, sample: takeSample(stored, state, cap), stored: stored.length };
}

describe("the calibration sample", () => {
  it("is the same whatever the page size, bounded by its cap, and counts every row", () => {
    const all = buildRows(histories, { horizonDays: 90, stepDays: 7, until: T0 + weeks * 7 * DAY });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 10, max: 3000 }), (pageSize, cap) => {
        const one = inPages(histories.length, cap);
        const paged = inPages(pageSize, cap);
        expect(paged.sample).toEqual(one.sample);
        expect(paged.state).toEqual(one.state);
        expect(one.sample.length).toBe(Math.min(cap, all.rows.length));
        expect(paged.state.rows).toBe(all.rows.length);
        expect(paged.state.censored).toBe(all.censored);
        expect(paged.state.customers).toBe(histories.length);
        // What a page stores is bounded too: never more than the cap per page's worth of new keys.
        expect(paged.stored).toBeLessThanOrEqual(all.rows.length);
      }),
      { numRuns: 40 },
    );
  });

  it("keeps every row when they fit under the cap, and round-trips a stored row", () => {
    const { sample } = inPages(7, 1_000_000);
    expect(sample.length).toBe(buildRows(histories, { horizonDays: 90, stepDays: 7, until: T0 + weeks * 7 * DAY }).rows.length);
    for (const r of sample.slice(0, 50)) expect(fromStoredRow(JSON.parse(JSON.stringify(toStoredRow(r))))).toEqual(r);
    expect(fromStoredRow(["c1", "not a time", 50, 0])).toBeNull();
  });
});
