import { entry } from "../keyed";
import type { CustomerState, SubscriptionFact } from "../state";
import { hasEnded, trialWithoutPaymentMethod } from "../subscriptions";
import { DAY, type ComponentResult, type Factor, ago, isoDay, noData, plural, settle, times } from "./factors";
import type { HealthModel } from "./model";

type Params = HealthModel["billing"];

/** Neutral baseline for a customer with a billing relationship and nothing notable in it. */
const BASELINE = 85;

/**
 * Billing health. Only scored once a subscription or invoice is known: failures alone (for a customer
 * whose subscription has not arrived yet) stay in state but cannot be weighed against anything.
 */
export function scoreBilling(state: CustomerState, now: number, p: Params): ComponentResult {
  const b = state.billing;
  const subs = Object.values(b.subscriptions);
  if (subs.length === 0 && Object.keys(b.invoices).length === 0) return noData;
  return settle(BASELINE, [
    ...failureFactors(state, now, p),
    ...subscriptionFactors(subs, now, p),
    ...renewalFactors(state, now, p),
    ...refundFactors(state, now, p),
    ...trialFactors(state, now, p),
  ]);
}

/** The trial ends soon (or just ended) and the customer has no payment method: the first invoice will fail. */
function trialFactors(state: CustomerState, now: number, p: Params): Factor[] {
  const t = trialWithoutPaymentMethod(state);
  if (!t || t.trialEnd > now + p.trialNoPaymentMethodDays * DAY || t.trialEnd < now - p.trialNoPaymentMethodDays * DAY) return [];
  const when = t.trialEnd >= now ? `ends ${isoDay(t.trialEnd)}` : `ended ${isoDay(t.trialEnd)}`;
  return [{ factor: "billing.trial_no_payment_method", delta: -p.trialNoPaymentMethodPenalty, detail: `trial ${when} with no payment method on file` }];
}

function failureFactors(state: CustomerState, now: number, p: Params): Factor[] {
  const since = now - p.failureWindowDays * DAY;
  const unpaid = new Map<string, number>();
  const recovered = new Map<string, number>();
  for (const f of Object.values(state.billing.failures)) {
    if (f.at < since) continue;
    const bucket = entry(state.billing.invoices, f.invoiceId) ? recovered : unpaid;
    bucket.set(f.invoiceId, (bucket.get(f.invoiceId) ?? 0) + 1);
  }
  const unpaidCount = sum(unpaid.values());
  const recoveredCount = sum(recovered.values());
  const unpaidPenalty = Math.min(unpaidCount * p.unpaidFailurePenalty, p.maxFailurePenalty);
  const recoveredPenalty = Math.min(recoveredCount * p.recoveredFailurePenalty, p.maxFailurePenalty - unpaidPenalty);
  const out: Factor[] = [];
  if (unpaidCount > 0) {
    const invoices = unpaid.size > 1 ? ` on ${unpaid.size} invoices` : "";
    out.push({
      factor: "billing.payment_failed",
      delta: -unpaidPenalty,
      detail: `payment failed ${times(unpaidCount)}${invoices}, still unpaid`,
    });
  }
  if (recoveredCount > 0) {
    out.push({
      factor: "billing.payment_recovered",
      delta: -recoveredPenalty,
      detail: `payment failed ${times(recoveredCount)} in the last ${p.failureWindowDays} days, since paid`,
    });
  }
  return out;
}

function subscriptionFactors(subs: SubscriptionFact[], now: number, p: Params): Factor[] {
  if (subs.length === 0) return [];
  const live = subs.filter((s) => !hasEnded(s));
  if (live.length === 0) {
    const ended = Math.max(...subs.map((s) => s.endedAt ?? s.canceledAt ?? s.at));
    return [{ factor: "billing.canceled", delta: -p.canceledPenalty, detail: `subscription ended ${isoDay(ended)}` }];
  }
  const out: Factor[] = [];
  if (live.some((s) => s.status === "unpaid")) {
    out.push({ factor: "billing.unpaid", delta: -p.unpaidPenalty, detail: "subscription unpaid after failed retries" });
  } else if (live.some((s) => s.status === "past_due")) {
    out.push({ factor: "billing.past_due", delta: -p.pastDuePenalty, detail: "subscription past due" });
  }
  const cancelling = live.filter((s) => s.cancelAtPeriodEnd || s.cancelAt !== undefined);
  if (cancelling.length > 0) {
    const when = Math.min(...cancelling.map((s) => s.cancelAt ?? s.currentPeriodEnd ?? s.at));
    const all = cancelling.length === live.length;
    out.push({
      factor: "billing.cancel_scheduled",
      delta: -(all ? p.cancelScheduledPenalty : p.cancelScheduledPenalty / 2),
      detail: `${all ? "cancellation" : `cancellation of ${plural(cancelling.length, "subscription")}`} scheduled for ${isoDay(when)}`,
    });
  }
  out.push(...changeFactors(subs, now, p));
  return out;
}

function changeFactors(subs: SubscriptionFact[], now: number, p: Params): Factor[] {
  const since = now - p.downgradeWindowDays * DAY;
  const changes = subs
    .filter((s) => s.lastChange && s.lastChange.at >= since && s.lastChange.direction !== "none")
    .map((s) => ({ ...s.lastChange!, mrr: s.mrr }))
    .sort((a, b) => b.at - a.at);
  const latest = changes[0];
  if (!latest) return [];
  const pct =
    latest.previousMrr && latest.previousMrr > 0
      ? ` (MRR ${latest.mrr >= latest.previousMrr ? "+" : "-"}${Math.round((Math.abs(latest.mrr - latest.previousMrr) / latest.previousMrr) * 100)}%)`
      : "";
  return latest.direction === "downgrade"
    ? [{ factor: "billing.downgrade", delta: -p.downgradePenalty, detail: `downgraded ${ago(latest.at, now)}${pct}` }]
    : [{ factor: "billing.upgrade", delta: p.upgradeBonus, detail: `upgraded ${ago(latest.at, now)}${pct}` }];
}

function renewalFactors(state: CustomerState, now: number, p: Params): Factor[] {
  const since = now - 365 * DAY;
  const failed = new Set(Object.values(state.billing.failures).map((f) => f.invoiceId));
  const onTime = Object.entries(state.billing.invoices).filter(
    ([id, inv]) => inv.reason === "renewal" && inv.paidAt >= since && !failed.has(id),
  ).length;
  if (onTime === 0) return [];
  return [
    {
      factor: "billing.renewals_on_time",
      delta: Math.min(onTime * p.renewalBonus, p.maxRenewalBonus),
      detail: `${plural(onTime, "renewal")} paid on time in the last year`,
    },
  ];
}

function refundFactors(state: CustomerState, now: number, p: Params): Factor[] {
  const out: Factor[] = [];
  const refunds = Object.values(state.billing.refunds).filter((r) => r.at >= now - p.refundWindowDays * DAY);
  if (refunds.length > 0) {
    out.push({
      factor: "billing.refunds",
      delta: -Math.min(refunds.length, 2) * p.refundPenalty,
      detail: `${plural(refunds.length, "refund")} in the last ${p.refundWindowDays} days`,
    });
  }
  const disputes = Object.values(state.billing.disputes).filter((d) => d.at >= now - p.disputeWindowDays * DAY);
  if (disputes.length > 0) {
    const latest = Math.max(...disputes.map((d) => d.at));
    out.push({
      factor: "billing.dispute",
      delta: -Math.min(disputes.length, 2) * p.disputePenalty,
      detail: disputes.length === 1 ? `chargeback opened ${ago(latest, now)}` : `${disputes.length} chargebacks, latest ${ago(latest, now)}`,
    });
  }
  return out;
}

function sum(xs: Iterable<number>): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}
