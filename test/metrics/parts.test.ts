import { describe, expect, it } from "vitest";
import { portfolioScoreByDay } from "../../src/core/metrics";
import { endedSubscriptionMrr, mrrAt, payingAt, toAccount } from "../../src/core/metrics/accounts";
import { buckets, periodLabel } from "../../src/core/metrics/periods";
import { ticketPhrases } from "../../src/core/topics";
import { median } from "../../src/core/metrics/types";
import { emptyState } from "../../src/core/state";
import { at } from "./dataset";

describe("paying and MRR over time", () => {
  it("an annual subscription that ended earns its invoice ÷ 12 months", () => {
    const s = emptyState();
    s.billing.invoices.i1 = { reason: "first", amountPaid: 120000, currency: "usd", paidAt: at("2026-01-01"), subscriptionId: "s1" };
    const sub = { status: "canceled" as const, mrr: 0, currency: "usd", cancelAtPeriodEnd: false, startedAt: at("2026-01-01"), endedAt: at("2027-01-01"), currentPeriodEnd: at("2027-01-01"), at: 0, by: "e" };
    s.billing.subscriptions.s1 = sub;
    // 365 days / 30 = 12.2 -> 12 months; 120000 / 12 = 10000
    expect(endedSubscriptionMrr(s, "s1", sub)).toBe(10000);
    const a = toAccount({ id: "x", name: null, band: null, stage: null, mrr: 0, segments: [], state: s });
    expect(mrrAt(a, at("2026-06-01"))).toBe(10000);
    // Paying is (first paid, ended]: not at the first payment itself, still on the day it ended, not after.
    expect(payingAt(a, at("2026-01-01"))).toBe(false);
    expect(payingAt(a, at("2027-01-01"))).toBe(true);
    expect(payingAt(a, at("2027-01-01") + 1)).toBe(false);
  });

  it("a trial earns nothing until it ends", () => {
    const s = emptyState();
    s.billing.invoices.i0 = { reason: "first", amountPaid: 100, currency: "usd", paidAt: at("2026-01-01"), subscriptionId: "other" };
    s.billing.subscriptions.s1 = { status: "active", mrr: 5000, currency: "usd", cancelAtPeriodEnd: false, startedAt: at("2026-01-01"), trialEnd: at("2026-01-15"), at: 0, by: "e" };
    const a = toAccount({ id: "x", name: null, band: null, stage: null, mrr: 5000, segments: [], state: s });
    expect(mrrAt(a, at("2026-01-10"))).toBe(0);
    expect(mrrAt(a, at("2026-01-20"))).toBe(5000);
  });
});

describe("periods", () => {
  it("weeks start on Monday (UTC) and are clipped to the window", () => {
    // Oct 1, 2026 is a Thursday; its week starts Monday Sep 28.
    const b = buckets({ from: at("2026-10-01"), to: at("2026-10-15") }, "week");
    expect(b).toEqual([
      { from: at("2026-10-01"), to: at("2026-10-05") },
      { from: at("2026-10-05"), to: at("2026-10-12") },
      { from: at("2026-10-12"), to: at("2026-10-15") },
    ]);
    expect(periodLabel(at("2026-10-01"), "week")).toBe("2026-09-28");
  });

  it("months are calendar months, across a year end", () => {
    const b = buckets({ from: at("2026-11-15"), to: at("2027-02-01") }, "month");
    expect(b.map((x) => periodLabel(x.from, "month"))).toEqual(["2026-11", "2026-12", "2027-01"]);
    expect(b[0]).toEqual({ from: at("2026-11-15"), to: at("2026-12-01") });
  });
});

describe("portfolio score by day", () => {
  it("carries each customer's latest score forward and averages per day", () => {
    const rows = [
      { customerId: "x", at: at("2026-10-01T09:00:00Z") - 86_400_000, score: 50 },
      { customerId: "x", at: at("2026-10-01T10:00:00Z"), score: 60 },
      { customerId: "y", at: at("2026-10-01T12:00:00Z"), score: 80 },
      { customerId: "x", at: at("2026-10-02T09:00:00Z"), score: 40 },
    ];
    // Oct 1: x 60 (replacing 50), y 80 -> 70. Oct 2: x 40, y 80 -> 60. Oct 3: unchanged -> 60.
    expect(portfolioScoreByDay(rows, { from: at("2026-10-01"), to: at("2026-10-04") })).toEqual([
      { day: "2026-10-01", average: 70, customers: 2 },
      { day: "2026-10-02", average: 60, customers: 2 },
      { day: "2026-10-03", average: 60, customers: 2 },
    ]);
  });
});

describe("small helpers", () => {
  it("median of an even count is the mean of the middle two", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it("ticket phrases drop stop words, numbers and ticket references; particles may end a phrase", () => {
    const t = { tags: ["SSO", " "], subject: "Can't log in with SSO after 2FA reset #123" };
    expect(ticketPhrases(t).sort()).toEqual(["2fa", "2fa reset", "log", "log in", "reset", "sso", "sso after 2fa"]);
  });
});
