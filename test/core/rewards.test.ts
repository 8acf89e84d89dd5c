import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_FREE_MAIL } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import {
  attribute,
  attributionCandidates,
  clawback,
  defaultRewardRules,
  planRewards,
  qualify,
  release,
  rewardAmount,
  rewardRulesSchema,
  type Party,
  type Referral,
  type RewardContext,
  type RewardRules,
} from "../../src/core/rewards";
import type { CustomerState } from "../../src/core/state";
import { DAY, NOW, checkout, daysAgo, invoicePaid, stateOf } from "./events";

const rules = defaultRewardRules;
const freeMail = new Set(DEFAULT_FREE_MAIL);
const party = (id: string, over: Partial<Party> = {}): Party => ({
  id, name: id, domain: `${id}.example`, fingerprints: [], currency: "usd", band: "green", pastDue: false, stripeCustomerId: `cus_${id}`, ...over,
});
const A = party("alpha");
const B = party("beta");
const promoCheckout = (at: number, promotionCode = "promo_A", session = "cs_promo") => ({ ...checkout(at, session), promotionCode }) as NormalizedEvent;
const candidate = { key: "promo_A", source: "promotion_code" as const, at: daysAgo(1) };

function attributed(state: CustomerState, referrer = A, referred = B): Referral {
  return attribute({ referred, referrer, candidate, state, rules: rules.referral, freeMail });
}

function qualified(over: Partial<Parameters<typeof qualify>[0]> = {}): Referral {
  const state = stateOf(promoCheckout(daysAgo(1)), invoicePaid(daysAgo(1) + 5_000, { invoiceId: "in_1", amountPaid: 49_900, chargeId: "ch_1" }));
  return qualify({ referral: attributed(state), state, referrer: A, monthCounts: {}, paymentIntents: { in_1: "pi_1" }, rules: rules.referral, ...over });
}

describe("referral attribution", () => {
  it("prefers a promotion code over client_reference_id and referral_code, oldest first", () => {
    const state = stateOf(
      { ...checkout(daysAgo(3), "cs_1"), clientReferenceId: "ref-1", referralCode: "code-1" } as NormalizedEvent,
      promoCheckout(daysAgo(2)),
    );
    expect(attributionCandidates(state).map((c) => [c.source, c.key])).toEqual([
      ["promotion_code", "promo_A"],
      ["client_reference_id", "ref-1"],
      ["referral_code", "code-1"],
    ]);
  });

  it("refuses a self-referral by customer, by company email domain and by card, with the reason", () => {
    const s = stateOf();
    expect(attributed(s, A, A)).toMatchObject({ status: "refused", reason: expect.stringContaining("self-referral") });
    expect(attributed(s, A, party("other", { domain: "alpha.example" }))).toMatchObject({ status: "refused", reason: expect.stringContaining("alpha.example") });
    expect(attributed(s, party("x", { fingerprints: ["fp1"] }), party("y", { fingerprints: ["fp1"] }))).toMatchObject({ status: "refused", reason: expect.stringContaining("same card") });
  });

  it("does not treat a shared free-mail domain as a self-referral", () => {
    const r = attributed(stateOf(), party("x", { domain: "gmail.com" }), party("y", { domain: "gmail.com" }));
    expect(r.status).toBe("attributed");
  });

  it("refuses a friend who paid before the attribution, but not for the checkout's own invoice", () => {
    const earlier = stateOf(invoicePaid(daysAgo(40), { invoiceId: "in_old", reason: "first" }));
    expect(attributed(earlier)).toMatchObject({ status: "refused", reason: expect.stringMatching(/^already a customer: invoice in_old/) });
    const racing = stateOf(invoicePaid(candidate.at - 30_000, { invoiceId: "in_checkout" }));
    expect(attributed(racing).status).toBe("attributed");
  });
});

describe("referral qualification", () => {
  it("qualifies on the friend's first paid invoice and starts the hold", () => {
    const r = qualified();
    expect(r).toMatchObject({ status: "pending", invoiceId: "in_1", chargeId: "ch_1", paymentIntentId: "pi_1", rewardAmount: 5000, currency: "usd" });
    expect(r.releaseAt).toBe(r.qualifiedAt! + 14 * DAY);
  });

  it("refuses past the monthly cap per referrer, with the reason", () => {
    const month = new Date(daysAgo(1)).toISOString().slice(0, 7);
    const r = qualified({ monthCounts: { [month]: rules.referral.monthlyCapPerReferrer } });
    expect(r).toMatchObject({ status: "refused", reason: expect.stringContaining("monthly cap") });
  });

  it("ignores $0 invoices and waits for a paid one", () => {
    const state = stateOf(promoCheckout(daysAgo(1)), invoicePaid(daysAgo(1), { invoiceId: "in_0", amountPaid: 0 }));
    const r = qualify({ referral: attributed(state), state, referrer: A, monthCounts: {}, paymentIntents: {}, rules: rules.referral });
    expect(r.status).toBe("attributed");
  });

  it("pays a share of the invoice in percent mode, capped, and falls back to the fixed amount across currencies", () => {
    const pct = rewardRulesSchema.parse({ referral: { reward: { mode: "percent", percent: 50 } } }).referral;
    expect(rewardAmount(49_900, "usd", "usd", pct)).toBe(10_000);
    expect(rewardAmount(4_000, "usd", "usd", pct)).toBe(2_000);
    expect(rewardAmount(49_900, "usd", "eur", pct)).toBe(5_000);
    expect(rewardAmount(49_900, "usd", "jpy", pct)).toBeNull();
  });

  it("never credits more than the cap, nor a negative amount", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.constantFrom("usd", "eur", "gbp"),
        fc.constantFrom("usd", "eur", "gbp"),
        fc.record({ mode: fc.constantFrom("fixed", "percent"), percent: fc.integer({ min: 0, max: 100 }), fixed: fc.integer({ min: 0, max: 1_000_000 }), cap: fc.integer({ min: 0, max: 1_000_000 }) }),
        (amount, invCur, cur, r) => {
          const parsed = rewardRulesSchema.parse({ referral: { reward: { mode: r.mode, percent: r.percent, fixed: { [cur]: r.fixed }, cap: { [cur]: r.cap } } } }).referral;
          const credit = rewardAmount(amount, invCur, cur, parsed)!;
          expect(credit).toBeGreaterThanOrEqual(0);
          expect(credit).toBeLessThanOrEqual(r.cap);
          expect(Number.isInteger(credit)).toBe(true);
        },
      ),
    );
  });
});

describe("clawback and release", () => {
  const refund = { kind: "refund" as const, id: "ch_1", chargeId: "ch_1", at: NOW };

  it("a refund during the hold cancels; after payout it claws back, unless clawback is off", () => {
    const r = qualified();
    expect(clawback(r, refund, rules.referral).referral).toMatchObject({ status: "canceled", reason: expect.stringContaining("during the hold") });
    const paid = { ...r, status: "paid" as const };
    expect(clawback(paid, refund, rules.referral).referral.status).toBe("clawed_back");
    const off = rewardRulesSchema.parse({ referral: { clawback: false } }).referral;
    expect(clawback(paid, refund, off)).toMatchObject({ referral: { status: "paid" }, skipped: expect.stringContaining("disabled") });
  });

  it("pays after the hold only, holds a red or past-due referrer, and pays once they are healthy", () => {
    const r = qualified();
    expect(release(r, A, r.releaseAt! - 1, rules.referral)).toBe(r);
    const held = release(r, { ...A, band: "red" }, r.releaseAt!, rules.referral);
    expect(held).toMatchObject({ status: "held", reason: expect.stringContaining("red") });
    expect(release(r, { ...A, pastDue: true }, r.releaseAt!, rules.referral)).toMatchObject({ status: "held", reason: expect.stringContaining("past due") });
    expect(release(held, { ...A, band: "red" }, r.releaseAt! + DAY, rules.referral)).toBe(held);
    expect(release(held, { ...A, band: "yellow" }, r.releaseAt! + DAY, rules.referral)).toMatchObject({ status: "paid", paidAt: r.releaseAt! + DAY });
  });
});

const emptyCtx: RewardContext = { asReferred: null, referrer: null, owners: new Map(), monthCounts: {}, asReferrer: [], referralsPaid: 0, badges: [] };

function friendStep(events: NormalizedEvent[], ctx: Partial<RewardContext> = {}, now = NOW, r: RewardRules = rules) {
  return planRewards({
    self: B,
    state: stateOf(...events),
    events,
    segments: [],
    onboarding: { purchasedAt: null, onboardedAt: null },
    churned: false,
    ctx: { ...emptyCtx, owners: new Map([["promo_A", A]]), ...ctx },
    rules: r,
    freeMail,
    now,
  });
}

describe("planRewards", () => {
  const events = [promoCheckout(daysAgo(1)), invoicePaid(daysAgo(1) + 5_000, { invoiceId: "in_1", amountPaid: 49_900, chargeId: "ch_1" })];

  it("attributes and qualifies in one step, recording both in the referrer's ledger", () => {
    const plan = friendStep(events);
    expect(plan.referrals.map((w) => w.after.status)).toEqual(["pending"]);
    // Which of qualified or refused is written is decided by the monthly cap at commit.
    expect(plan.ledger.map((e) => [e.id, e.onlyIf?.status])).toEqual([
      ["referral:beta:qualified", "pending"],
      ["referral:beta:friend_reward", "pending"],
      ["referral:beta:refused", "refused"],
    ]);
    expect(plan.referrals[0]!.cap).toMatchObject({ limit: rules.referral.monthlyCapPerReferrer, reason: expect.stringContaining("monthly cap reached") });
    expect(plan.actions).toEqual([]);
    expect(plan.touched).toEqual(["alpha", "beta"]);
  });

  it("pays the referrer once, with the reward id as the action id and a negative amount in their currency", () => {
    const pending = friendStep(events).referrals[0]!.after;
    const stored = { ...pending, version: 1 };
    const referrerStep = (ctx: Partial<RewardContext>, now: number) =>
      planRewards({ self: { ...A, currency: "eur" }, state: stateOf(), events: [], segments: [], onboarding: { purchasedAt: null, onboardedAt: null }, churned: false, ctx: { ...emptyCtx, ...ctx }, rules, freeMail, now });
    const plan = referrerStep({ asReferrer: [{ referral: stored, referred: B }] }, stored.releaseAt!);
    expect(plan.actions).toEqual([
      expect.objectContaining({ id: "referral.credit:beta", customerId: "alpha", payload: expect.objectContaining({ type: "stripe.credit", stripeCustomerId: "cus_alpha", amount: -5000, currency: "usd" }) }),
    ]);
    expect(plan.ledger.map((e) => e.id)).toEqual(["referral:beta:paid", "points:alpha:referral_qualified:beta", "badge:alpha:first_referral"]);
    // Replayed with the paid row (as the store returns it), nothing new is decided.
    const again = referrerStep({ asReferrer: [], referralsPaid: 1, badges: ["first_referral"] }, stored.releaseAt! + DAY);
    expect(again).toEqual({ referrals: [], ledger: [], actions: [], touched: [] });
  });

  it("is deterministic and its ids are unique, whatever the events' order and repetition", () => {
    const pool = [...events, { ...events[1]!, type: "charge.refunded", chargeId: "ch_1", amountRefunded: 49_900, currency: "usd" } as NormalizedEvent];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 6 }), fc.integer({ min: 0, max: 30 }), (evs, days) => {
        const a = friendStep(evs, {}, NOW + days * DAY);
        expect(friendStep(evs, {}, NOW + days * DAY)).toEqual(a);
        const ids = [...a.ledger.map((e) => e.id), ...a.actions.map((x) => x.id)];
        expect(new Set(ids).size).toBe(ids.length);
        for (const x of a.actions) if (x.payload.type === "stripe.credit") expect(Math.abs(x.payload.amount)).toBeLessThanOrEqual(10_000);
      }),
    );
  });

  it("re-planning a step against its own result decides nothing new", () => {
    fc.assert(
      fc.property(fc.subarray([...events, { ...events[1]!, id: "stripe:dup" } as NormalizedEvent]), (evs) => {
        const first = friendStep(evs);
        const stored = first.referrals[0]?.after;
        const second = friendStep(evs, stored ? { asReferred: { ...stored, version: 1 }, referrer: A } : {});
        expect(second.referrals).toEqual([]);
        expect(second.actions).toEqual([]);
        const firstIds = new Set(first.ledger.map((e) => e.id));
        for (const e of second.ledger) expect(firstIds.has(e.id)).toBe(true);
      }),
    );
  });
});
