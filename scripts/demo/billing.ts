import type { Rng } from "./random";
import { type Account, DAY, type DemoEvent } from "./world";

/** Stripe: each account's checkout, subscription, invoices, failures and cancellations, as Stripe events. */

const API_VERSION = "2025-03-31.basil";
const MONTH = 30 * DAY;
const s = (ms: number) => Math.floor(ms / 1000);

const FEEDBACK = [
  ["too_expensive", "Budget cuts this quarter"],
  ["missing_features", "We need SSO and audit logs"],
  ["switched_service", "Moving to an in-house tool"],
  ["unused", "The team never really adopted it"],
] as const;

interface Sub {
  quantity: number;
  start: number;
  periodStart: number;
  status: string;
  cancelAtPeriodEnd: boolean;
  canceledAt: number | null;
  endedAt: number | null;
  feedback: readonly [string, string] | null;
}

export function stripeEvent(rng: Rng, type: string, at: number, object: Record<string, unknown>, previous?: Record<string, unknown>): Record<string, unknown> {
  return {
    id: rng.id("evt_", 24),
    object: "event",
    api_version: API_VERSION,
    created: s(at),
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

export function customerObject(a: Account): Record<string, unknown> {
  return {
    id: a.stripeCustomerId,
    object: "customer",
    created: s(a.signupAt) - 3600,
    email: a.billingEmail,
    name: a.name,
    currency: "usd",
    balance: 0,
    delinquent: false,
    livemode: false,
    metadata: { hubspot_company_id: a.hubspotCompanyId },
  };
}

function item(a: Account, sub: Sub) {
  return {
    id: `si_${a.subscriptionId.slice(4)}`,
    object: "subscription_item",
    quantity: sub.quantity,
    current_period_start: s(sub.periodStart),
    current_period_end: s(sub.periodStart + MONTH),
    price: { id: a.plan.id, object: "price", currency: "usd", unit_amount: a.plan.unitAmount, product: `prod_demo_${a.plan.name.toLowerCase()}`, recurring: { interval: "month", interval_count: 1, usage_type: "licensed" }, type: "recurring" },
  };
}

function subscriptionObject(a: Account, sub: Sub): Record<string, unknown> {
  const [feedback, comment] = sub.feedback ?? [null, null];
  return {
    id: a.subscriptionId,
    object: "subscription",
    customer: a.stripeCustomerId,
    status: sub.status,
    currency: "usd",
    created: s(sub.start),
    start_date: s(sub.start),
    billing_cycle_anchor: s(sub.start),
    collection_method: "charge_automatically",
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    cancel_at: sub.cancelAtPeriodEnd ? s(sub.periodStart + MONTH) : null,
    canceled_at: sub.canceledAt === null ? null : s(sub.canceledAt),
    ended_at: sub.endedAt === null ? null : s(sub.endedAt),
    cancellation_details: { reason: sub.feedback ? "cancellation_requested" : null, feedback, comment },
    trial_start: null,
    trial_end: null,
    items: { object: "list", data: [item(a, sub)], has_more: false },
    metadata: {},
    livemode: false,
  };
}

function invoiceObject(rng: Rng, a: Account, sub: Sub, o: { reason: string; status: "paid" | "open"; at: number; attempts: number; nextAttempt?: number }): Record<string, unknown> {
  const amount = sub.quantity * a.plan.unitAmount;
  return {
    id: `in_${a.subscriptionId.slice(4, 12)}${s(sub.periodStart).toString(36)}`,
    object: "invoice",
    customer: a.stripeCustomerId,
    customer_email: a.billingEmail,
    customer_name: a.name,
    billing_reason: o.reason,
    status: o.status,
    currency: "usd",
    amount_due: amount,
    amount_paid: o.status === "paid" ? amount : 0,
    amount_remaining: o.status === "paid" ? 0 : amount,
    attempt_count: o.attempts,
    attempted: true,
    next_payment_attempt: o.nextAttempt === undefined ? null : s(o.nextAttempt),
    created: s(sub.periodStart),
    period_start: s(sub.periodStart),
    period_end: s(sub.periodStart),
    parent: { type: "subscription_details", subscription_details: { subscription: a.subscriptionId } },
    payments: { object: "list", data: o.status === "paid" ? [{ payment: { type: "payment_intent", payment_intent: rng.id("pi_", 24) } }] : [] },
    lines: { object: "list", data: [{ id: rng.id("il_", 24), object: "line_item", amount, currency: "usd", quantity: sub.quantity, period: { start: s(sub.periodStart), end: s(sub.periodStart + MONTH) } }] },
    status_transitions: { finalized_at: s(sub.periodStart), paid_at: o.status === "paid" ? s(o.at) : null },
    discounts: [],
    livemode: false,
  };
}

/** Every Stripe event of one account's quarter (customer.created is wave 2, the rest wave 4). */
export function billingEvents(rng: Rng, a: Account, now: number): DemoEvent[] {
  const out: DemoEvent[] = [];
  const emit = (type: string, at: number, object: Record<string, unknown>, previous?: Record<string, unknown>) =>
    out.push({ source: "stripe", wave: type === "customer.created" ? 2 : 4, at, kind: type, payload: stripeEvent(rng, type, at, object, previous) });
  const sub: Sub = { quantity: a.seats, start: a.signupAt, periodStart: a.signupAt, status: "active", cancelAtPeriodEnd: false, canceledAt: null, endedAt: null, feedback: null };
  const snapshot = () => subscriptionObject(a, sub);

  emit("customer.created", a.signupAt - 3_600_000, customerObject(a));
  emit("checkout.session.completed", a.signupAt, {
    id: rng.id("cs_live_", 24), object: "checkout.session", mode: "subscription", status: "complete", payment_status: "paid",
    customer: a.stripeCustomerId, customer_details: { email: a.billingEmail, name: a.name }, subscription: a.subscriptionId,
    client_reference_id: a.segmentGroupId, amount_total: a.seats * a.plan.unitAmount, currency: "usd", discounts: [],
    // A referred account's code is Tenure's, known only once the referrer exists: the runner fills it in.
    metadata: {},
  });
  emit("customer.subscription.created", a.signupAt + 5_000, snapshot());
  emit("invoice.paid", a.signupAt + 10_000, invoiceObject(rng, a, sub, { reason: "subscription_create", status: "paid", at: a.signupAt + 10_000, attempts: 1 }));

  const upgradeAt = a.persona === "champion" ? a.signupAt + rng.int(15, 45) * DAY : Infinity;
  for (let k = 1; ; k++) {
    const cycleAt = a.signupAt + k * MONTH;
    if (upgradeAt < cycleAt && upgradeAt > cycleAt - MONTH) {
      const before = item(a, sub);
      sub.quantity += 2;
      emit("customer.subscription.updated", upgradeAt, snapshot(), { items: { object: "list", data: [before] } });
    }
    if (a.cancelScheduledAt !== undefined && a.cancelScheduledAt < cycleAt && !sub.cancelAtPeriodEnd) {
      Object.assign(sub, { cancelAtPeriodEnd: true, canceledAt: a.cancelScheduledAt, feedback: rng.pick(FEEDBACK) });
      emit("customer.subscription.updated", a.cancelScheduledAt, snapshot(), { cancel_at_period_end: false, cancel_at: null, canceled_at: null });
    }
    if (cycleAt > now - 600_000) break;
    if (sub.cancelAtPeriodEnd) {
      Object.assign(sub, { status: "canceled", endedAt: cycleAt });
      emit("customer.subscription.deleted", cycleAt, snapshot());
      break;
    }
    const last = cycleAt + MONTH > now;
    sub.periodStart = cycleAt;
    emit("customer.subscription.updated", cycleAt, snapshot(), { items: { object: "list", data: [{ ...item(a, sub), current_period_start: s(cycleAt - MONTH), current_period_end: s(cycleAt) }] } });
    if (a.persona === "at_risk" && last) failedRenewal(rng, a, sub, cycleAt, now, emit, snapshot);
    else emit("invoice.paid", cycleAt + 60_000, invoiceObject(rng, a, sub, { reason: "subscription_cycle", status: "paid", at: cycleAt + 60_000, attempts: 1 }));
  }
  return out;
}

type Emit = (type: string, at: number, object: Record<string, unknown>, previous?: Record<string, unknown>) => unknown;

/** Smart Retries: a failed renewal, past_due, a second failure, and for some a late payment. */
function failedRenewal(rng: Rng, a: Account, sub: Sub, cycleAt: number, now: number, emit: Emit, snapshot: () => Record<string, unknown>): void {
  const retry1 = cycleAt + 3 * DAY;
  emit("invoice.payment_failed", cycleAt + 60_000, invoiceObject(rng, a, sub, { reason: "subscription_cycle", status: "open", at: cycleAt, attempts: 1, nextAttempt: retry1 }));
  sub.status = "past_due";
  emit("customer.subscription.updated", cycleAt + 120_000, snapshot(), { status: "active" });
  if (retry1 > now) return;
  emit("invoice.payment_failed", retry1, invoiceObject(rng, a, sub, { reason: "subscription_cycle", status: "open", at: retry1, attempts: 2, nextAttempt: retry1 + 5 * DAY }));
  const paidAt = retry1 + 2 * DAY;
  if (paidAt > now || rng.chance(0.5)) return;
  emit("invoice.paid", paidAt, invoiceObject(rng, a, sub, { reason: "subscription_cycle", status: "paid", at: paidAt, attempts: 3 }));
  sub.status = "active";
  emit("customer.subscription.updated", paidAt + 60_000, snapshot(), { status: "past_due" });
}
