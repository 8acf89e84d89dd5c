import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultHealthModel, scoreHealth } from "../../src/core/health";
import { containsPattern, daysSince, isTentative, mrrAtRisk, nextStep, renewalWindow, topDrivers, type Driver } from "../../src/core/worklist";
import { DAY, NOW, daysAgo, invoicePaid, paymentFailed, stateOf, subscription } from "./events";

const d = (factor: string, impact: number, detail = factor): Driver => ({ factor, impact, detail });
const arbDriver = fc.record({ factor: fc.constantFrom("billing.payment_failed", "usage.recency", "support.open_tickets", "x.unknown"), impact: fc.integer({ min: -30, max: 30 }), detail: fc.string() });

describe("mrrAtRisk", () => {
  it("is all of the MRR at score 0, none at 100, and never more than the MRR or below 0", () => {
    expect(mrrAtRisk(0, 10_000)).toBe(10_000);
    expect(mrrAtRisk(100, 10_000)).toBe(0);
    expect(mrrAtRisk(61, 5_000)).toBe(1_950);
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 110 }), fc.integer({ min: 0, max: 1e9 }), (score, mrr) => {
        const risk = mrrAtRisk(score, mrr);
        expect(risk).toBeGreaterThanOrEqual(0);
        expect(risk).toBeLessThanOrEqual(mrr);
      }),
    );
  });

  it("falls as the score rises, for the same MRR", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 1e9 }), (a, b, mrr) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(mrrAtRisk(hi, mrr)).toBeLessThanOrEqual(mrrAtRisk(lo, mrr));
    }));
  });
});

describe("isTentative", () => {
  it("marks coverage under 50 % (or unknown) as tentative", () => {
    expect(isTentative(0.15)).toBe(true);
    expect(isTentative(0.499)).toBe(true);
    expect(isTentative(null)).toBe(true);
    expect(isTentative(Number.NaN)).toBe(true);
    expect(isTentative(0.5)).toBe(false);
    expect(isTentative(1)).toBe(false);
  });
});

describe("topDrivers", () => {
  it("puts the drivers that hurt first, worst first", () => {
    expect(topDrivers([d("usage.recency", -5), d("billing.upgrade", 8), d("billing.payment_failed", -12)]).map((x) => x.factor)).toEqual(["billing.payment_failed", "usage.recency"]);
  });

  it("falls back to the strongest positive drivers when nothing hurts", () => {
    expect(topDrivers([d("a", 2), d("b", 9), d("c", 4)]).map((x) => x.factor)).toEqual(["b", "c"]);
  });

  it("returns at most n drivers from the input; while any driver hurts, only those that hurt", () => {
    fc.assert(fc.property(fc.array(arbDriver, { maxLength: 8 }), fc.integer({ min: 0, max: 4 }), (drivers, n) => {
      const top = topDrivers(drivers, n);
      const hurting = drivers.filter((x) => x.impact < 0);
      expect(top.length).toBe(Math.min(n, hurting.length > 0 ? hurting.length : drivers.length));
      for (const t of top) expect(drivers).toContain(t);
      if (hurting.length > 0) for (const t of top) expect(t.impact).toBeLessThan(0);
    }));
  });
});

describe("nextStep", () => {
  it("says what to do about the worst driver", () => {
    expect(nextStep([d("billing.payment_failed", -12, "payment failed twice, still unpaid"), d("usage.recency", -3)], null, NOW)).toBe("Fix billing: payment failed twice, still unpaid");
    expect(nextStep([d("usage.recency", -10, "no usage for 30 days"), d("support.open_tickets", -4)], null, NOW)).toBe("Book a usage review");
    expect(nextStep([d("relationship.no_owner", -8)], null, NOW)).toBe("Assign an account owner");
  });

  it("with nothing hurting, prepares a renewal within 30 days, else checks in", () => {
    expect(nextStep([d("billing.upgrade", 5)], NOW + 10 * DAY, NOW)).toBe("Prepare the renewal");
    expect(nextStep([], NOW + 45 * DAY, NOW)).toBe("Check in");
  });

  it("names an unmapped driver by its words", () => {
    expect(nextStep([d("x.unknown", -4, "something odd")], null, NOW)).toBe("Look into: something odd");
  });

  it("turns a real scored failed payment into a billing step", () => {
    const state = stateOf(
      subscription(daysAgo(100), { currentPeriodEnd: NOW + 20 * DAY }),
      invoicePaid(daysAgo(70), { invoiceId: "in_1" }),
      paymentFailed(daysAgo(3), { invoiceId: "in_2" }),
    );
    const score = scoreHealth(state, NOW, defaultHealthModel);
    expect(topDrivers(score.drivers)[0]?.factor).toBe("billing.payment_failed");
    expect(nextStep(score.drivers, null, NOW)).toMatch(/^Fix billing: payment failed/);
  });

  it("always answers with a non-empty step", () => {
    fc.assert(fc.property(fc.array(arbDriver, { maxLength: 6 }), fc.option(fc.integer({ min: NOW - 100 * DAY, max: NOW + 100 * DAY }), { nil: null }), (drivers, renewal) => {
      expect(nextStep(drivers, renewal, NOW).length).toBeGreaterThan(0);
    }));
  });
});

describe("daysSince and renewalWindow", () => {
  it("counts whole days, never negative", () => {
    expect(daysSince(NOW - 3.5 * DAY, NOW)).toBe(3);
    expect(daysSince(NOW + DAY, NOW)).toBe(0);
    expect(daysSince(null, NOW)).toBeNull();
  });

  it("puts a renewal in the first 30/60/90-day window it fits, none when past or beyond 90 days", () => {
    expect(renewalWindow(NOW + 10 * DAY, NOW)).toBe(30);
    expect(renewalWindow(NOW + 30 * DAY, NOW)).toBe(30);
    expect(renewalWindow(NOW + 31 * DAY, NOW)).toBe(60);
    expect(renewalWindow(NOW + 89 * DAY, NOW)).toBe(90);
    expect(renewalWindow(NOW + 91 * DAY, NOW)).toBeNull();
    expect(renewalWindow(NOW - DAY, NOW)).toBeNull();
  });
});

describe("containsPattern", () => {
  it("escapes LIKE wildcards and the escape character", () => {
    expect(containsPattern("acme.io")).toBe("%acme.io%");
    expect(containsPattern("100%_off\\")).toBe("%100\\%\\_off\\\\%");
  });
});
