import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auc, backtest } from "../../src/core/backtest";
import { defaultHealthModel } from "../../src/core/health";

const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 1);
const bands = defaultHealthModel.bands;

/** Weekly scores for `weeks` weeks starting at T. */
const weekly = (scores: number[]) => scores.map((score, i) => ({ at: T + i * 7 * DAY, score }));

describe("backtest", () => {
  it("scores a perfect predictor at AUC 1 and an inverted one at 0", () => {
    const histories = [
      { customerId: "a", points: weekly([30, 30]), churnedAt: T + 10 * DAY },
      { customerId: "b", points: weekly([90, 90, 90, 90, 90, 90, 90, 90]), churnedAt: null },
    ];
    const r = backtest(histories, 30, bands);
    expect(r.auc).toBe(1);
    const inverted = histories.map((h) => ({ ...h, points: h.points.map((p) => ({ ...p, score: 100 - p.score })) }));
    expect(backtest(inverted, 30, bands).auc).toBe(0);
  });

  it("labels points by churn within the horizon, skips points after churn and censors the unobserved tail", () => {
    const histories = [
      // Churn on day 40: days 0 and 7 are more than 30 days before it, days 14-35 within, day 42 after it.
      { customerId: "a", points: weekly([60, 60, 40, 40, 40, 40, 40]), churnedAt: T + 40 * DAY },
      { customerId: "b", points: weekly([80, 80, 80, 80, 80, 80, 80, 80, 80, 80]), churnedAt: null },
    ];
    const r = backtest(histories, 30, bands);
    // Observed until day 63 (b's last point): b's points from day 35 on have unobserved horizons.
    expect(r.censored).toBe(5);
    expect(r.samples).toBe(6 + 5);
    expect(r.churned).toBe(4);
    expect(r.churnRateByBand).toEqual({ green: 0, yellow: 0, red: 1 });
    expect(r.samplesByBand).toEqual({ green: 5, yellow: 2, red: 4 });
  });

  it("has no AUC without both outcomes", () => {
    expect(backtest([{ customerId: "a", points: weekly([50, 60]), churnedAt: null }], 30, bands, { observedUntil: T + 365 * DAY }).auc).toBeNull();
    expect(backtest([], 30, bands)).toMatchObject({ auc: null, samples: 0, churnRateByBand: { green: null, yellow: null, red: null } });
  });

  it("matches the pairwise definition of AUC, ties counting half", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ score: fc.integer({ min: 0, max: 10 }), churned: fc.boolean() }), { maxLength: 40 }), (samples) => {
        const pos = samples.filter((s) => s.churned);
        const neg = samples.filter((s) => !s.churned);
        const expected =
          pos.length === 0 || neg.length === 0
            ? null
            : pos.reduce((sum, p) => sum + neg.reduce((s, n) => s + (p.score < n.score ? 1 : p.score === n.score ? 0.5 : 0), 0), 0) /
              (pos.length * neg.length);
        const got = auc(samples);
        if (expected === null) expect(got).toBeNull();
        else expect(got).toBeCloseTo(expected, 10);
      }),
    );
  });
});
