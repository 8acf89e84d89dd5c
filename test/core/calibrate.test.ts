import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MIN_EVALUATION_CHURNERS, MIN_FIT_CHURNERS, calibrate, scoreWith } from "../../src/core/calibrate";
import { aucInterval, fitLogistic } from "../../src/core/calibrate-fit";
import { buildRows, timeSplit } from "../../src/core/calibrate-split";
import { componentNames, defaultHealthModel } from "../../src/core/health";
import { DAY, T0, cohort, rng } from "./calibrate-cohort";

const bands = defaultHealthModel.bands;
const WEEKS = 80;
const until = T0 + WEEKS * 7 * DAY;

describe("the time-ordered split", () => {
  it("never evaluates on a snapshot whose moment or outcome window the fit saw", () => {
    let both = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 7, max: 180 }), fc.double({ min: 0.3, max: 0.9, noNaN: true }), (seed, horizonDays, share) => {
        const { rows } = buildRows(cohort(seed, 40, 60, 0.03), { horizonDays, stepDays: 7, until: T0 + 60 * 7 * DAY });
        const split = timeSplit(rows, horizonDays, share);
        const fitEnds = split.fit.map((r) => r.at + horizonDays * DAY);
        for (const e of split.evaluation) expect(e.at).toBeGreaterThanOrEqual(split.cutoff);
        for (const end of fitEnds) expect(end).toBeLessThanOrEqual(split.cutoff);
        // No snapshot is in both, and the latest outcome the fit knows precedes every evaluated snapshot.
        const fitKeys = new Set(split.fit.map((r) => `${r.customerId}@${r.at}`));
        expect(split.evaluation.some((r) => fitKeys.has(`${r.customerId}@${r.at}`))).toBe(false);
        if (split.fit.length && split.evaluation.length) both++;
        if (split.fit.length && split.evaluation.length) expect(Math.max(...fitEnds)).toBeLessThanOrEqual(Math.min(...split.evaluation.map((r) => r.at)));
      }),
      { numRuns: 40 },
    );
    expect(both).toBeGreaterThan(10);
  });

  it("leaves out snapshots whose horizon is not observed yet, and never samples after churn", () => {
    const histories = cohort(7, 60, 40, 0.03);
    const { rows, censored } = buildRows(histories, { horizonDays: 90, stepDays: 7, until: T0 + 40 * 7 * DAY });
    expect(censored).toBeGreaterThan(0);
    const churn = new Map(histories.map((h) => [h.customerId, h.churnedAt]));
    for (const r of rows) {
      const c = churn.get(r.customerId)!;
      if (c !== null) expect(r.at).toBeLessThan(c);
      if (!r.churned) expect(r.at + 90 * DAY).toBeLessThanOrEqual(T0 + 40 * 7 * DAY);
    }
  });
});

describe("the fit", () => {
  it("is deterministic and finds the direction of a planted effect", () => {
    const r = rng(3);
    const x = Array.from({ length: 600 }, () => [r(), r()]);
    const y = x.map(([a]) => r() < 1 / (1 + Math.exp(-(4 * a! - 2))));
    const a = fitLogistic(x, y);
    expect(fitLogistic(x, y)).toEqual(a);
    expect(a.coefficients[0]).toBeGreaterThan(2);
    expect(Math.abs(a.coefficients[1]!)).toBeLessThan(1);
  });

  it("gives an AUC interval that holds the AUC, stays in [0, 1] and narrows with more samples", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (a, pos, neg) => {
        const [lo, hi] = aucInterval(a, pos, neg);
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(a + 1e-12);
        expect(hi).toBeGreaterThanOrEqual(a - 1e-12);
        const [lo2, hi2] = aucInterval(a, pos * 4, neg * 4);
        expect(hi2 - lo2).toBeLessThanOrEqual(hi - lo + 1e-12);
      }),
    );
  });

  it("scores with the health model's own formula: a weighted mean of the components that have data", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }), { minLength: 5, maxLength: 5 }), (components) => {
        const s = scoreWith(defaultHealthModel.weights, components);
        const present = components.filter((c): c is number => c !== null);
        if (present.length === 0) expect(s).toBe(50);
        else {
          expect(s).toBeGreaterThanOrEqual(Math.min(...present));
          expect(s).toBeLessThanOrEqual(Math.max(...present));
        }
      }),
    );
  });
});

describe("calibrate", () => {
  it("refuses with too few churn events, and says how many are needed", () => {
    const histories = cohort(11, 30, WEEKS, 0.002);
    const r = calibrate(histories, { horizonDays: 90, stepDays: 7, until, bands });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.needed).toBe(Math.max(0, MIN_FIT_CHURNERS - r.fitChurned) + Math.max(0, MIN_EVALUATION_CHURNERS - r.evaluationChurned));
    expect(r.needed).toBeGreaterThan(0);
    expect(r.reason).toMatch(/Too few churn events/);
  });

  it("on a cohort where usage predicts churn, weights usage over noise and beats the default model out of sample", () => {
    for (const seed of [1, 2, 3]) {
      const r = calibrate(cohort(seed, 600, WEEKS), { horizonDays: 90, stepDays: 7, until, bands });
      expect(r.ok, `seed ${seed}`).toBe(true);
      if (!r.ok) return;
      const total = componentNames.reduce((s, c) => s + r.weights[c], 0);
      expect(total).toBeCloseTo(100, 0);
      expect(r.weights.usage).toBeGreaterThan(r.weights.support);
      expect(r.weights.usage).toBeGreaterThan(r.weights.relationship);
      const e = r.evaluation;
      expect(e.auc).toBeGreaterThan(e.baselineAuc!);
      expect(e.aucInterval[0]).toBeLessThanOrEqual(e.auc);
      expect(e.aucInterval[1]).toBeGreaterThanOrEqual(e.auc);
      expect(e.churned).toBeGreaterThan(0);
      expect(e.samples).toBeGreaterThan(e.churned);
    }
  });
});
