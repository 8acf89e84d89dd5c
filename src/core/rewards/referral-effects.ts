import type { Action } from "../actions";
import type { RewardRules } from "./config";
import { ledgerEntry, rewardIds, type LedgerEntry } from "./ledger";
import type { MonthlyCap, Party, Referral } from "./referrals";

export interface Effects {
  ledger: LedgerEntry[];
  actions: Action[];
}

export interface TransitionInput {
  before: Referral | null;
  after: Referral;
  referrer: Party;
  referred: Party;
  rules: RewardRules;
  now: number;
  /** A reversal that was not clawed back (clawback disabled): recorded, nothing moves. */
  skipped?: string | null;
  /** The transition qualifies a reward under this cap, which the store checks again at commit. */
  cap?: MonthlyCap;
}

/** The ledger rows and actions one referral transition causes. Deterministic ids throughout. */
export function referralEffects(t: TransitionInput): Effects {
  const out: Effects = { ledger: [], actions: [] };
  const { before, after: r, now } = t;
  const B = r.referredId;
  const A = r.referrerId;
  const step = (name: string, extra: Partial<LedgerEntry> = {}) =>
    out.ledger.push(ledgerEntry({ id: rewardIds.referral(B, name), customerId: A, entry: `referral.${name}` as LedgerEntry["entry"], ref: B, at: now, ...extra }));
  if (t.skipped) step("clawback_skipped", { reason: t.skipped });
  if (before?.status === r.status && before.reason === r.reason) return out;

  switch (r.status) {
    case "attributed":
      step("attributed", { kind: r.source });
      break;
    case "refused":
      step("refused", { kind: r.source, reason: r.reason });
      break;
    case "pending": {
      // Under a cap the database decides at commit which of these two outcomes is written.
      const onlyIf = (status: "pending" | "refused") => (t.cap ? { onlyIf: { referredId: B, status } } : {});
      step("qualified", { kind: r.source, ref: B, ...onlyIf("pending") });
      friendOnQualify(out, t, onlyIf("pending"));
      if (t.cap) step("refused", { kind: r.source, reason: t.cap.reason, ...onlyIf("refused") });
      break;
    }
    case "held":
      if (before?.status !== "held") step("held", { reason: r.reason });
      break;
    case "paid":
      payout(out, t);
      break;
    case "canceled":
      step("canceled", { reason: r.reason });
      break;
    case "clawed_back":
      reverse(out, t);
      break;
  }
  return out;
}

function metadata(r: Referral, rewardId: string): Record<string, string> {
  return { tenure_reward_id: rewardId, tenure_referrer: r.referrerId, tenure_referred: r.referredId };
}

function friendOnQualify(out: Effects, t: TransitionInput, extra: Partial<LedgerEntry>): void {
  if (t.rules.referral.friendReward.type !== "coupon") return;
  const r = t.after;
  out.ledger.push(ledgerEntry({ id: rewardIds.referral(r.referredId, "friend_reward"), customerId: r.referredId, entry: "referral.friend_reward", kind: "coupon", ref: r.code, at: t.now, ...extra }));
}

function payout(out: Effects, t: TransitionInput): void {
  const r = t.after;
  const { referrer, rules, now } = t;
  const id = rewardIds.referralCredit(r.referredId);
  const amount = r.rewardAmount ?? 0;
  const currency = r.currency ?? "usd";
  out.actions.push({
    id,
    customerId: r.referrerId,
    payload: {
      type: "stripe.credit",
      stripeCustomerId: referrer.stripeCustomerId!,
      amount: -amount,
      currency,
      description: "Referral reward: thank you for recommending us",
      metadata: metadata(r, id),
    },
  });
  out.ledger.push(ledgerEntry({ id: rewardIds.referral(r.referredId, "paid"), customerId: r.referrerId, entry: "referral.paid", amount, currency, ref: r.referredId, actionId: id, at: now }));
  const points = rules.points.earn.referral_qualified ?? 0;
  if (points > 0) {
    out.ledger.push(ledgerEntry({ id: rewardIds.points(r.referrerId, "referral_qualified", r.referredId), customerId: r.referrerId, entry: "points.earned", kind: "referral_qualified", points, ref: r.referredId, at: now }));
  }
  if (rules.referral.friendReward.type === "credit") friendCredit(out, t);
}

function friendCredit(out: Effects, t: TransitionInput): void {
  const r = t.after;
  const currency = (t.referred.currency ?? r.invoiceCurrency ?? r.currency ?? "usd").toLowerCase();
  const amount = t.rules.referral.friendReward.credit[currency];
  const ledgerId = rewardIds.referral(r.referredId, "friend_reward");
  const base = { id: ledgerId, customerId: r.referredId, entry: "referral.friend_reward" as const, kind: "credit", ref: r.code, at: t.now };
  if (!t.referred.stripeCustomerId || !amount) {
    out.ledger.push(ledgerEntry({ ...base, reason: !amount ? `no friend credit is configured in ${currency}` : "the friend has no Stripe customer to credit" }));
    return;
  }
  const id = rewardIds.friendCredit(r.referredId);
  out.actions.push({
    id,
    customerId: r.referredId,
    payload: { type: "stripe.credit", stripeCustomerId: t.referred.stripeCustomerId, amount: -amount, currency, description: "Welcome credit for joining through a referral", metadata: metadata(r, id) },
  });
  out.ledger.push(ledgerEntry({ ...base, amount, currency, actionId: id }));
}

function reverse(out: Effects, t: TransitionInput): void {
  const r = t.after;
  const amount = r.rewardAmount ?? 0;
  const currency = r.currency ?? "usd";
  const id = rewardIds.clawback(r.referredId);
  const ledgerId = rewardIds.referral(r.referredId, "clawed_back");
  if (!t.referrer.stripeCustomerId) {
    out.ledger.push(ledgerEntry({ id: ledgerId, customerId: r.referrerId, entry: "referral.clawed_back", ref: r.referredId, reason: `${r.reason}; the referrer has no Stripe customer to debit`, at: t.now }));
    return;
  }
  out.actions.push({
    id,
    customerId: r.referrerId,
    payload: {
      type: "stripe.credit",
      stripeCustomerId: t.referrer.stripeCustomerId,
      amount,
      currency,
      description: "Referral reward reversed: the referred payment was refunded or disputed",
      metadata: { ...metadata(r, id), tenure_reverses: rewardIds.referralCredit(r.referredId) },
    },
  });
  out.ledger.push(ledgerEntry({ id: ledgerId, customerId: r.referrerId, entry: "referral.clawed_back", amount: -amount, currency, ref: r.referredId, reason: r.reason, actionId: id, at: t.now }));
  const points = t.rules.points.earn.referral_qualified ?? 0;
  if (points > 0) {
    out.ledger.push(ledgerEntry({ id: rewardIds.points(r.referrerId, "referral_reversed", r.referredId), customerId: r.referrerId, entry: "points.reversed", kind: "referral_qualified", points: -points, ref: r.referredId, at: t.now }));
  }
}
