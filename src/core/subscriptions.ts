import { entry } from "./keyed";
import type { SubscriptionStatus } from "./events";
import type { CustomerState, SubscriptionFact } from "./state";

/**
 * One definition of a "live" subscription, used for MRR, renewals, the VIP segment and loyalty occasions.
 *
 * Live = `active` or `past_due`: the customer is being billed for it now (past_due is still owed and
 * Stripe keeps retrying). Not live: `trialing` (nothing billed yet), `paused` (billing suspended),
 * `incomplete` (the first payment never succeeded), `unpaid` (retries exhausted; Stripe stops trying),
 * `canceled` and `incomplete_expired` (over). docs/health-model.md#live-subscriptions.
 */
const LIVE: ReadonlySet<SubscriptionStatus> = new Set(["active", "past_due"]);
/** Over for good: the subscription will never bill again. */
const ENDED: ReadonlySet<SubscriptionStatus> = new Set(["canceled", "incomplete_expired"]);

export function isLive(sub: Pick<SubscriptionFact, "status">): boolean {
  return LIVE.has(sub.status);
}

export function hasEnded(sub: Pick<SubscriptionFact, "status">): boolean {
  return ENDED.has(sub.status);
}

/** Live subscriptions and trials: what the customer has seats on (trial seats are real users). */
export function isLiveOrTrial(sub: Pick<SubscriptionFact, "status">): boolean {
  return isLive(sub) || sub.status === "trialing";
}

export function liveSubscriptions(state: CustomerState): SubscriptionFact[] {
  return Object.values(state.billing.subscriptions).filter(isLive);
}

/** MRR of live subscriptions per currency (minor units); amounts in different currencies are never added. */
export interface MrrByCurrency {
  mrr: Record<string, number>;
  /** Live subscription items whose monthly amount is unknown (metered with no usage seen): not counted as 0. */
  unknownItems: number;
}

export function liveMrrByCurrency(state: CustomerState): MrrByCurrency {
  const mrr: Record<string, number> = {};
  let unknownItems = 0;
  for (const [id, s] of Object.entries(state.billing.subscriptions)) {
    if (!isLive(s)) continue;
    let amount = s.mrr;
    if (s.mrrUnknownItems) {
      const metered = lastMeteredAmount(state, id);
      if (metered === undefined) unknownItems += s.mrrUnknownItems;
      else amount += metered;
    }
    mrr[s.currency] = (mrr[s.currency] ?? 0) + amount;
  }
  return { mrr, unknownItems };
}

/** The metered line amounts of the subscription's newest paid invoice (one billing period, taken as a month). */
function lastMeteredAmount(state: CustomerState, subscriptionId: string): number | undefined {
  let best: { at: number; amount: number } | undefined;
  for (const inv of Object.values(state.billing.invoices)) {
    if (inv.subscriptionId !== subscriptionId || inv.meteredAmount === undefined) continue;
    if (!best || inv.paidAt > best.at) best = { at: inv.paidAt, amount: inv.meteredAmount };
  }
  return best?.amount;
}

/**
 * The customer's MRR in one currency: the profile's currency when it has live MRR, else the currency with
 * the most live MRR (ties by name). Other currencies are reported apart by `liveMrrByCurrency`, never added.
 */
export function primaryMrr(state: CustomerState): { mrr: number; currency?: string } {
  const { mrr } = liveMrrByCurrency(state);
  const pref = state.profile.currency;
  if (pref !== undefined && mrr[pref] !== undefined) return { mrr: mrr[pref], currency: pref };
  const best = Object.entries(mrr).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0];
  if (best) return { mrr: best[1], currency: best[0] };
  const any = Object.values(state.billing.subscriptions)[0];
  return { mrr: 0, currency: pref ?? any?.currency };
}

/**
 * A trial ending with no payment method on file: the newest `trial_will_end` said the subscription had none,
 * the subscription is still trialing (or not seen yet), and nothing since gave the customer or the
 * subscription a default payment method. Null otherwise.
 */
export function trialWithoutPaymentMethod(state: CustomerState): { subscriptionId: string; trialEnd: number } | null {
  const t = state.billing.trialEnding;
  if (!t || t.hasPaymentMethod !== false) return null;
  const sub = entry(state.billing.subscriptions, t.subscriptionId);
  if (sub && (sub.status !== "trialing" || sub.hasPaymentMethod === true)) return null;
  const pm = state.billing.paymentMethod;
  if (pm?.value === true) return null;
  return { subscriptionId: t.subscriptionId, trialEnd: t.trialEnd };
}
