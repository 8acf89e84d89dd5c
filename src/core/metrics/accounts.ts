import { churnedAt } from "../lifecycle";
import { firstPaidAt } from "../onboarding";
import type { CustomerState, SubscriptionFact } from "../state";
import { MONTH_MS, type MetricCustomer } from "./types";

/**
 * When a customer pays, from its state. A customer is paying at instant t when its first paid invoice
 * is before t and its last subscription had not ended before t: firstPaidAt < t <= churnedAt.
 */
export interface Account {
  customer: MetricCustomer;
  firstPaidAt: number | null;
  churnedAt: number | null;
}

export function toAccount(customer: MetricCustomer): Account {
  return { customer, firstPaidAt: firstPaidAt(customer.state, Infinity), churnedAt: churnedAt(customer.state) };
}

export function payingAt(a: Account, t: number): boolean {
  return a.firstPaidAt !== null && a.firstPaidAt < t && (a.churnedAt === null || a.churnedAt >= t);
}

/** The customer's MRR at instant t (0 when not paying then). */
export function mrrAt(a: Account, t: number): number {
  if (!payingAt(a, t)) return 0;
  const { subscriptions } = a.customer.state.billing;
  return Object.entries(subscriptions).reduce((sum, [id, sub]) => sum + subscriptionMrrAt(a.customer.state, id, sub, t), 0);
}

/** A subscription earns from the end of its trial (or its start) until it ends: (start, end]. */
function subscriptionMrrAt(state: CustomerState, id: string, sub: SubscriptionFact, t: number): number {
  if (sub.status === "incomplete" || sub.status === "incomplete_expired") return 0;
  const start = Math.max(sub.startedAt ?? sub.at, sub.trialEnd ?? -Infinity);
  const end = sub.status === "canceled" ? (sub.endedAt ?? sub.canceledAt ?? sub.at) : null;
  if (t <= start || (end !== null && t > end)) return 0;
  if (end !== null) return endedSubscriptionMrr(state, id, sub);
  const change = sub.lastChange;
  return change?.previousMrr !== undefined && t <= change.at ? change.previousMrr : sub.mrr;
}

/**
 * An ended subscription reports MRR 0, so what it earned comes from its last paid invoice, spread over
 * the whole months between that payment and the end of the period it paid for.
 */
export function endedSubscriptionMrr(state: CustomerState, id: string, sub: SubscriptionFact): number {
  const last = Object.values(state.billing.invoices)
    .filter((i) => i.subscriptionId === id && i.amountPaid > 0)
    .sort((a, b) => b.paidAt - a.paidAt)[0];
  if (!last) return 0;
  const covered = sub.currentPeriodEnd !== undefined && sub.currentPeriodEnd > last.paidAt ? sub.currentPeriodEnd - last.paidAt : MONTH_MS;
  return Math.round(last.amountPaid / Math.max(1, Math.round(covered / MONTH_MS)));
}
