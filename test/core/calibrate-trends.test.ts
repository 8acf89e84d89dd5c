import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { calibrateRows, scoreWith } from "../../src/core/calibrate";
import { buildRows, timeSplit } from "../../src/core/calibrate-split";
import type { NormalizedEvent } from "../../src/core/events";
import { componentNames, defaultHealthModel, healthModelSchema, scoreHealth } from "../../src/core/health";
import { npsRecencyResult, scoreTrends, ticketTrendResult, trendNames, urgentShareResult, usageRecencyResult, usageTrendResult } from "../../src/core/health/trends";
import { applyEvents } from "../../src/core/reduce";
import { emptyState } from "../../src/core/state";
import { arbEventLog, arbNow, arbHealthModel } from "./arbitraries";
import { DAY, T0, cohortWithTruth } from "./calibrate-cohort";

const build = (events: NormalizedEvent[]) => applyEvents(emptyState(), events);
const arbWeight = fc.integer({ min: 0, max: 40 });

describe("trend components", () => {
  it("are 0..100 or null, and weighed 0 by default they leave the score and drivers as the five components give them", () => {
    fc.assert(
      fc.property(arbEventLog(), arbNow, (log, now) => {
        const state = build(log);
        const trends = scoreTrends(state, now);
        for (const t of trendNames) {
          const s = trends[t].score;
          if (s !== null) expect(s >= 0 && s <= 100).toBe(true);
        }
        const h = scoreHealth(state, now, defaultHealthModel);
        expect(h.drivers.every((d) => !trendNames.includes(d.component as never))).toBe(true);
        if (h.coverage > 0 && h.overrides.length === 0) {
          const five = componentNames.map((c) => (trendNames.includes(c as never) ? null : h.components[c]));
          expect(Math.abs(h.score - scoreWith(defaultHealthModel.weights, five))).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("weighed, keep the score in 0..100 and never state one fact twice among the drivers", () => {
    fc.assert(
      fc.property(arbEventLog(), arbNow, arbHealthModel, fc.array(arbWeight, { minLength: 5, maxLength: 5 }), (log, now, model, tw) => {
        const weighted = healthModelSchema.parse({ ...model, weights: { ...model.weights, ...Object.fromEntries(trendNames.map((t, i) => [t, tw[i]])) } });
        const h = scoreHealth(build(log), now, weighted);
        expect(h.score >= 0 && h.score <= 100).toBe(true);
        const details = h.drivers.map((d) => d.detail);
        expect(new Set(details).size).toBe(details.length);
      }),
      { numRuns: 200 },
    );
  });

  it("move the right way: less recent use, longer idle, more tickets, more urgent ones, an older NPS answer never score higher", () => {
    const now = T0 + 400 * DAY;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), (a, b, prev) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const up = (r: { score: number | null }) => r.score ?? 0;
        expect(up(usageTrendResult(lo, prev))).toBeLessThanOrEqual(up(usageTrendResult(hi, prev)));
        expect(up(usageRecencyResult(now - hi * DAY, now))).toBeLessThanOrEqual(up(usageRecencyResult(now - lo * DAY, now)));
        expect(up(ticketTrendResult(hi, prev / 10))).toBeLessThanOrEqual(up(ticketTrendResult(lo, prev / 10)));
        expect(up(urgentShareResult(Math.min(hi, prev), Math.max(prev, 1)))).toBeLessThanOrEqual(up(urgentShareResult(Math.min(lo, prev), Math.max(prev, 1))));
        expect(up(npsRecencyResult(now - hi * DAY, now))).toBeLessThanOrEqual(up(npsRecencyResult(now - lo * DAY, now)));
      }),
    );
  });

  it("speak in the words of the existing drivers", () => {
    const now = T0 + 400 * DAY;
    expect(usageTrendResult(60, 100).factors[0]!.detail).toBe("active user-days down 40% on the previous 30 days");
    expect(usageRecencyResult(now - 12 * DAY, now).factors[0]!.detail).toBe("no activity for 12 days");
    expect(ticketTrendResult(6, 1).factors[0]!.detail).toBe("6 tickets opened in the last 30 days, usually 1 a month");
    expect(urgentShareResult(2, 5).factors[0]!.detail).toBe("2 of 5 recent tickets urgent or high-priority");
    expect(npsRecencyResult(now - 200 * DAY, now).factors[0]!.detail).toBe("last NPS answer 200 days ago");
  });
});

describe("calibration with trend components", () => {
  const weeks = 65;
  const until = T0 + weeks * 7 * DAY;
  const { histories } = cohortWithTruth(5, 300, weeks, { confounders: true });
  const { rows, censored } = buildRows(histories, { horizonDays: 90, stepDays: 7, until });
  const opts = { horizonDays: 90, bands: defaultHealthModel.bands };

  it("chooses its ridge strength and weights without ever reading an evaluation outcome", () => {
    const a = calibrateRows(rows, censored, opts);
    const { cutoff } = timeSplit(rows, 90);
    // Flip every outcome in the evaluation period: the fit, the validation fold and so the weights stay the same.
    const flipped = rows.map((r) => (r.at >= cutoff ? { ...r, churned: !r.churned } : r));
    const b = calibrateRows(flipped, censored, opts);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.weights).toEqual(a.weights);
    expect(b.evaluation.lambda).toBe(a.evaluation.lambda);
    expect(b.evaluation.validationAuc).toBe(a.evaluation.validationAuc);
    expect(b.evaluation.fitAuc).toBe(a.evaluation.fitAuc);
    expect(b.evaluation.auc).toBeCloseTo(1 - a.evaluation.auc, 9);
  });

  it("reports the in-sample AUC beside the out-of-sample one, and gives weight to a trend the cohort's churn drives", () => {
    const r = calibrateRows(rows, censored, opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.evaluation.fitAuc).toBeGreaterThan(0.5);
    expect(r.evaluation.validationAuc).not.toBeNull();
    // Churners' usage fades before they leave: the usage trend predicts, and gets weight.
    expect(r.weights.usageTrend).toBeGreaterThan(0);
    expect(r.evaluation.coefficients.usageRecency).toBe(0);
  });
});
