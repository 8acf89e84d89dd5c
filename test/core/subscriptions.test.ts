import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { subscriptionStatusSchema, type NormalizedEvent, type SubscriptionStatus } from "../../src/core/events";
import { applyEvents } from "../../src/core/reduce";
import { emptyState, type CustomerState, type SubscriptionFact } from "../../src/core/state";
import { hasEnded, isLive, liveMrrByCurrency, primaryMrr, trialWithoutPaymentMethod } from "../../src/core/subscriptions";
import { currentMrr } from "../../src/core/snapshot";
import { mrr as vipMrr } from "../../src/core/segments";
import { DAY, HOUR, NOW, alerts, plan, snap } from "./plan-fixtures";

const sub = (status: SubscriptionStatus, mrr: number, currency: string, over: Partial<SubscriptionFact> = {}): SubscriptionFact => ({
  status,
  mrr,
  currency,
  cancelAtPeriodEnd: false,
  at: 0,
  by: "x",
  ...over,
});

function stateWith(subs: Record<string, SubscriptionFact>, over: (s: CustomerState) => void = () => {}): CustomerState {
  const s = emptyState();
  s.billing.subscriptions = subs;
  over(s);
  return s;
}

describe("one definition of a live subscription", () => {
  it("live = active or past_due; every other status is not MRR", () => {
    const live = subscriptionStatusSchema.options.filter((st) => isLive({ status: st }));
    expect(live.sort()).toEqual(["active", "past_due"]);
    expect(subscriptionStatusSchema.options.filter((st) => hasEnded({ status: st })).sort()).toEqual(["canceled", "incomplete_expired"]);
  });

  it("trialing, paused, incomplete and unpaid subscriptions add no MRR; the snapshot, VIP segment and per-currency totals agree", () => {
    const s = stateWith({
      a: sub("active", 10_000, "usd"),
      b: sub("past_due", 5_000, "usd"),
      t: sub("trialing", 99_000, "usd"),
      p: sub("paused", 99_000, "usd"),
      i: sub("incomplete", 99_000, "usd"),
      u: sub("unpaid", 99_000, "usd"),
      c: sub("canceled", 99_000, "usd"),
    });
    expect(liveMrrByCurrency(s)).toEqual({ mrr: { usd: 15_000 }, unknownItems: 0 });
    expect(currentMrr(s)).toEqual({ mrr: 15_000, currency: "usd" });
    expect(vipMrr(s)).toBe(15_000);
  });

  it("never adds currencies: each is its own total, the customer's MRR is the main currency's", () => {
    const s = stateWith({ a: sub("active", 10_000, "usd"), b: sub("active", 30_000, "eur"), c: sub("active", 1_000, "usd") }, (st) => (st.profile.currency = "usd"));
    expect(liveMrrByCurrency(s).mrr).toEqual({ usd: 11_000, eur: 30_000 });
    expect(primaryMrr(s)).toEqual({ mrr: 11_000, currency: "usd" });
    delete s.profile.currency;
    expect(primaryMrr(s)).toEqual({ mrr: 30_000, currency: "eur" });
  });

  it("a metered item is unknown until an invoice states its usage, then the last invoice's metered amount counts", () => {
    const s = stateWith({ m: sub("active", 2_000, "usd", { mrrUnknownItems: 1 }) });
    expect(liveMrrByCurrency(s)).toEqual({ mrr: { usd: 2_000 }, unknownItems: 1 });
    s.billing.invoices = {
      in_old: { reason: "renewal", amountPaid: 9_000, currency: "usd", paidAt: 1, subscriptionId: "m", meteredAmount: 7_000 },
      in_new: { reason: "renewal", amountPaid: 6_500, currency: "usd", paidAt: 2, subscriptionId: "m", meteredAmount: 4_500 },
    };
    expect(liveMrrByCurrency(s)).toEqual({ mrr: { usd: 6_500 }, unknownItems: 0 });
  });

  const subArb = fc.record({
    status: fc.constantFrom(...subscriptionStatusSchema.options),
    mrr: fc.integer({ min: 0, max: 1_000_000 }),
    currency: fc.constantFrom("usd", "eur", "gbp"),
  });

  it("property: each currency's total is the sum of its live subscriptions, and the main MRR is one of them", () => {
    fc.assert(
      fc.property(fc.array(subArb, { maxLength: 12 }), (subs) => {
        const s = stateWith(Object.fromEntries(subs.map((x, i) => [`sub_${i}`, sub(x.status, x.mrr, x.currency)])));
        const { mrr } = liveMrrByCurrency(s);
        for (const cur of ["usd", "eur", "gbp"]) {
          const want = subs.filter((x) => x.currency === cur && (x.status === "active" || x.status === "past_due")).reduce((n, x) => n + x.mrr, 0);
          const has = subs.some((x) => x.currency === cur && (x.status === "active" || x.status === "past_due"));
          expect(mrr[cur]).toBe(has ? want : undefined);
        }
        const main = primaryMrr(s);
        expect(main.mrr === 0 || Object.values(mrr).includes(main.mrr)).toBe(true);
      }),
    );
  });
});

const trialEnding = (hasPaymentMethod: boolean | undefined, over: Partial<Extract<NormalizedEvent, { type: "trial.ending" }>> = {}): NormalizedEvent => ({
  id: "stripe:evt_trial",
  source: "stripe",
  type: "trial.ending",
  occurredAt: NOW - HOUR,
  subject: {},
  subscriptionId: "sub_1",
  trialEnd: NOW + 3 * DAY,
  ...(hasPaymentMethod === undefined ? {} : { hasPaymentMethod }),
  ...over,
});

const profile = (hasPaymentMethod: boolean, at: number): NormalizedEvent => ({
  id: `stripe:evt_cus_${at}_${hasPaymentMethod}`,
  source: "stripe",
  type: "customer.profile",
  occurredAt: at,
  subject: {},
  metadata: {},
  hasPaymentMethod,
});

describe("a trial ending without a payment method", () => {
  const trialing = stateWith({ sub_1: sub("trialing", 0, "usd") });

  it("holds when trial_will_end says there is none and nothing since added one", () => {
    expect(trialWithoutPaymentMethod(applyEvents(trialing, [trialEnding(false)]))).toEqual({ subscriptionId: "sub_1", trialEnd: NOW + 3 * DAY });
  });

  it("does not hold with a payment method on the subscription, on the customer, or once the subscription is active", () => {
    expect(trialWithoutPaymentMethod(applyEvents(trialing, [trialEnding(true)]))).toBeNull();
    expect(trialWithoutPaymentMethod(applyEvents(trialing, [trialEnding(undefined)]))).toBeNull();
    expect(trialWithoutPaymentMethod(applyEvents(trialing, [trialEnding(false), profile(true, NOW)]))).toBeNull();
    const active = stateWith({ sub_1: sub("active", 10_000, "usd") });
    expect(trialWithoutPaymentMethod(applyEvents(active, [trialEnding(false)]))).toBeNull();
  });

  it("property: the customer's payment-method register is last-writer-wins whatever the arrival order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 1_000 })), { minLength: 1, maxLength: 6 }), (marks) => {
        const events = [trialEnding(false), ...marks.map(([pm, at]) => profile(pm, at))];
        const a = applyEvents(trialing, events);
        const b = applyEvents(trialing, [...events].reverse());
        expect(trialWithoutPaymentMethod(a)).toEqual(trialWithoutPaymentMethod(b));
        expect(applyEvents(a, events)).toEqual(a);
      }),
    );
  });
});

describe("alert rule trial_ending_no_payment_method", () => {
  const still = (holds: boolean) => ({ cancelScheduled: () => false, invoiceUnpaid: () => true, trialWithoutPaymentMethod: () => holds });
  const quiet = { before: snap(80, "green"), after: snap(80, "green") };

  it("fires for a fresh trial_will_end with no payment method", () => {
    const r = plan({ ...quiet, events: [trialEnding(false)], stillTrue: still(true) });
    expect(alerts(r)).toEqual([expect.objectContaining({ rule: "trial_ending_no_payment_method", summary: expect.stringContaining("no payment method") })]);
  });

  it("does not fire with a payment method, or when one was added since", () => {
    expect(alerts(plan({ ...quiet, events: [trialEnding(true)], stillTrue: still(false) }))).toEqual([]);
    expect(alerts(plan({ ...quiet, events: [trialEnding(false)], stillTrue: still(false) }))).toEqual([]);
  });

  it("fires once: the same trial's notice again gives the same alert id", () => {
    const first = plan({ ...quiet, events: [trialEnding(false)], stillTrue: still(true) });
    const again = plan({ ...quiet, events: [trialEnding(false, { id: "stripe:evt_trial_redelivered" })], stillTrue: still(true), alerts: first.alerts });
    const ids = [...first.actions, ...again.actions].filter((a) => a.payload.type === "slack.alert").map((a) => a.id);
    expect(new Set(ids).size).toBe(1);
  });
});
