import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { defaultConfig } from "../../src/core/config";
import { stageOf } from "../../src/core/lifecycle";
import {
  activitiesIn,
  anniversaryDue,
  badgesEarned,
  birthdayDue,
  defaultRewardRules,
  earnPoints,
  monthDayOf,
  occasionsDue,
  periodStart,
  quoteRedemption,
  referralCodeFor,
  renewalOfferDue,
} from "../../src/core/rewards";
import { DAY, HOUR, NOW, daysAgo, invoicePaid, loyalty, stateOf, subscription, usage } from "./events";

const rules = defaultRewardRules;
const ctx = { customerId: "cu_1", purchasedAt: null, onboardedAt: null, segments: [] as string[], rules };

describe("points", () => {
  it("maps configured Segment track names, loyalty.activity facts and paid renewals to kinds", () => {
    const events = [usage(NOW, "Review Submitted"), usage(NOW, "login"), loyalty(NOW, "social_share", "post-1"), invoicePaid(NOW, { invoiceId: "in_r", reason: "renewal" })];
    expect(activitiesIn(events, rules).map((a) => [a.kind, a.ref])).toEqual([
      ["review_submitted", events[0]!.id],
      ["social_share", "post-1"],
      ["renewal", "in_r"],
    ]);
  });

  it("earns once per (customer, kind, ref), doubled for VIPs", () => {
    const acts = [{ kind: "review_submitted", ref: "r1", at: NOW }, { kind: "review_submitted", ref: "r1", at: NOW + 1 }, { kind: "unknown", ref: "x", at: NOW }];
    expect(earnPoints(acts, ctx).map((e) => [e.id, e.points])).toEqual([["points:cu_1:review_submitted:r1", 100]]);
    expect(earnPoints(acts, { ...ctx, segments: ["vip"] })[0]!.points).toBe(200);
  });

  it("awards onboarding only within 24 hours of the purchase, and once", () => {
    const purchasedAt = NOW - 30 * HOUR;
    const late = earnPoints([], { ...ctx, purchasedAt, onboardedAt: NOW });
    expect(late).toEqual([]);
    const inTime = earnPoints([{ kind: "onboarding_completed", ref: "evt-1", at: purchasedAt + 2 * HOUR }], { ...ctx, purchasedAt, onboardedAt: purchasedAt + 3 * HOUR });
    expect(inTime.map((e) => e.id)).toEqual(["points:cu_1:onboarding_completed:once"]);
  });

  it("quotes redemptions at the configured rate, with minimums and steps", () => {
    expect(quoteRedemption(1000, "usd", rules)).toEqual({ ok: true, amount: 1000, currency: "usd" });
    expect(quoteRedemption(400, "usd", rules)).toMatchObject({ ok: false, code: "below_minimum" });
    expect(quoteRedemption(550, "usd", rules)).toMatchObject({ ok: false, code: "not_a_multiple" });
    expect(quoteRedemption(1000, "jpy", rules)).toMatchObject({ ok: false, code: "currency_not_configured" });
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 200_000 }), (p) => {
        const q = quoteRedemption(p, "gbp", rules);
        if (q.ok) expect(q.amount).toBe((p / 100) * 80);
        else expect(p < 500 || p > 100_000 || p % 100 !== 0).toBe(true);
      }),
    );
  });
});

describe("badges", () => {
  it("first referral, many referrals, one year and power user, by their thresholds", () => {
    const f = { referralsPaid: 0, customerSince: null, churned: false, segments: [] as string[], now: NOW };
    expect(badgesEarned(f, rules)).toEqual([]);
    expect(badgesEarned({ ...f, referralsPaid: 5, customerSince: daysAgo(366), segments: ["power_user"] }, rules)).toEqual(["first_referral", "five_referrals", "one_year", "power_user"]);
    expect(badgesEarned({ ...f, customerSince: daysAgo(366), churned: true }, rules)).toEqual([]);
  });
});

describe("occasions", () => {
  it("an anniversary is due within the window after it, once per year", () => {
    const since = Date.UTC(2024, 10, 1, 9);
    expect(anniversaryDue(since, Date.UTC(2026, 10, 1, 10), 7)).toEqual({ year: 2026, n: 2, at: Date.UTC(2026, 10, 1, 9) });
    expect(anniversaryDue(since, Date.UTC(2026, 10, 9, 10), 7)).toBeNull();
    expect(anniversaryDue(since, Date.UTC(2025, 0, 3), 7)).toBeNull();
    expect(anniversaryDue(Date.UTC(2025, 11, 30), Date.UTC(2027, 0, 2), 7)).toMatchObject({ year: 2026, n: 1 });
  });

  it("reads birthdays from ISO dates and HubSpot epoch dates", () => {
    expect(monthDayOf("1990-05-17")).toBe("05-17");
    expect(monthDayOf("--05-17")).toBe("05-17");
    expect(monthDayOf(String(Date.UTC(1985, 1, 3)))).toBe("02-03");
    expect(monthDayOf("May 17")).toBeNull();
    expect(birthdayDue("05-17", Date.UTC(2026, 4, 18), 7)).toEqual({ year: 2026 });
    expect(birthdayDue("05-17", Date.UTC(2026, 4, 16), 7)).toBeNull();
  });

  it("ids include the year, so a second daily run decides the same rows", () => {
    const state = stateOf(invoicePaid(Date.UTC(2025, 10, 1), { invoiceId: "in_1" }), subscription(Date.UTC(2025, 10, 1), { currentPeriodEnd: Date.UTC(2027, 0, 15) }));
    const now = Date.UTC(2026, 10, 2);
    const input = { customerId: "cu_1", state, stage: stageOf(state, now, defaultConfig.lifecycle), score: 80, currency: "usd", stripeCustomerId: "cus_1", birthdays: { "hubspot:1": "11-01" }, segments: [], now, rules };
    const due = occasionsDue(input);
    expect(due.ledger.map((e) => e.id)).toEqual(["points:cu_1:anniversary:2026", "points:cu_1:birthday:hubspot:1:2026"]);
    expect(occasionsDue({ ...input, now: now + HOUR })).toEqual({ ...due, ledger: due.ledger.map((e) => ({ ...e, at: now + HOUR })) });
  });

  it("offers the renewal coupon to a healthy year-one customer 30 days before the first renewal", () => {
    const renewal = NOW + 20 * DAY;
    const state = stateOf(invoicePaid(daysAgo(330), { invoiceId: "in_1" }), subscription(daysAgo(330), { subscriptionId: "sub_9", currentPeriodEnd: renewal }));
    const base = { state, stage: stageOf(state, NOW, defaultConfig.lifecycle), score: 75, now: NOW, rules };
    expect(renewalOfferDue(base)).toEqual({ subscriptionId: "sub_9", renewalAt: renewal });
    expect(renewalOfferDue({ ...base, score: 20 })).toBeNull();
    expect(renewalOfferDue({ ...base, now: renewal - 40 * DAY })).toBeNull();
  });
});

describe("rules configuration", () => {
  it("merges overrides over the defaults and rejects unknown keys", () => {
    const cfg = tenureConfig(JSON.stringify({ rewards: { version: "r-2", points: { earn: { review_submitted: 50 } }, referral: { holdDays: 30 } } }));
    expect(cfg.rewards.version).toBe("r-2");
    expect(cfg.rewards.points.earn).toMatchObject({ review_submitted: 50, social_share: 25 });
    expect(cfg.rewards.referral).toMatchObject({ holdDays: 30, coupon: "tenure-referral-friend" });
    expect(() => tenureConfig(JSON.stringify({ rewards: { referal: {} } }))).toThrow(/TENURE_CONFIG/);
    expect(() => tenureConfig(JSON.stringify({ rewards: { referral: { reward: { cap: { USD: 1 } } } } }))).toThrow(/TENURE_CONFIG: rewards\.referral\.reward\.cap/);
    expect(() => tenureConfig(JSON.stringify({ rewards: { redemption: { minPoint: 1 } } }))).toThrow(/TENURE_CONFIG: rewards\.redemption/);
  });

  it("referral codes are stable per customer and Stripe-safe", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (id) => {
        const code = referralCodeFor(id, "FRIEND-");
        expect(code).toBe(referralCodeFor(id, "FRIEND-"));
        expect(code).toMatch(/^FRIEND-[0-9A-Z]{8}$/);
      }),
    );
  });

  it("leaderboard periods start on calendar boundaries", () => {
    const now = Date.UTC(2026, 7, 15, 10);
    expect(periodStart("month", now)).toBe(Date.UTC(2026, 7, 1));
    expect(periodStart("quarter", now)).toBe(Date.UTC(2026, 6, 1));
    expect(periodStart("year", now)).toBe(Date.UTC(2026, 0, 1));
    expect(periodStart("all", now)).toBe(0);
  });
});
