import type { FakeStripe } from "../fakes/stripe";

/** Stripe records shaped as the API returns them (the fields Tenure reads, plus the usual neighbours). */

const DAY_S = 86_400;

export interface SeededStripe {
  customers: string[];
  subscriptions: string[];
  invoices: string[];
  /** Refunds listed (a charge refunded twice has two), and the charges they refunded. */
  refunds: string[];
  refundedCharges: string[];
  disputes: string[];
}

export function seedStripe(stripe: FakeStripe, n: { customers: number; nowS: number }): SeededStripe {
  const out: SeededStripe = { customers: [], subscriptions: [], invoices: [], refunds: [], refundedCharges: [], disputes: [] };
  for (let i = 0; i < n.customers; i++) {
    const created = n.nowS - (200 - (i % 150)) * DAY_S;
    const id = `cus_bf${String(i).padStart(5, "0")}`;
    stripe.lists.addCustomer({ id, created, email: `billing@company${i}.example`, name: `Company ${i}`, currency: "usd", metadata: { account_id: `acct_${i}` } });
    out.customers.push(id);
    if (i % 2 === 0) out.subscriptions.push(addSubscription(stripe, id, i, created).id);
    if (i % 3 === 0) out.invoices.push(...addInvoices(stripe, id, i, created));
    if (i % 9 === 0) addRefundsAndDisputes(stripe, out, id, i, created);
  }
  return out;
}

function addSubscription(stripe: FakeStripe, customer: string, i: number, created: number) {
  const status = i % 10 === 0 ? "canceled" : i % 14 === 0 ? "past_due" : "active";
  const periodStart = created + Math.floor((n(i) % 6) * 30 * DAY_S);
  return stripe.lists.addSubscription({
    id: `sub_bf${String(i).padStart(5, "0")}`,
    customer,
    status,
    created,
    start_date: created,
    currency: "usd",
    cancel_at_period_end: i % 8 === 0 && status === "active",
    canceled_at: status === "canceled" ? periodStart : null,
    ended_at: status === "canceled" ? periodStart : null,
    trial_start: null,
    trial_end: null,
    items: {
      object: "list",
      data: [
        {
          id: `si_bf${i}`,
          object: "subscription_item",
          quantity: 1 + (i % 7),
          current_period_start: periodStart,
          current_period_end: periodStart + 30 * DAY_S,
          price: { id: `price_${i % 3}`, object: "price", currency: "usd", unit_amount: [4900, 9900, 19900][i % 3], recurring: { interval: "month", interval_count: 1 } },
        },
      ],
    },
  });
}

function addInvoices(stripe: FakeStripe, customer: string, i: number, created: number): string[] {
  const statuses = ["paid", "paid", "open", "draft", "void"] as const;
  return statuses.slice(0, 2 + (i % 4)).map((status, k) => {
    const at = created + k * 30 * DAY_S;
    const id = `in_bf${String(i).padStart(5, "0")}_${k}`;
    const amount = [4900, 9900, 19900][i % 3]!;
    stripe.lists.addInvoice({
      id,
      object: "invoice",
      customer,
      customer_email: `billing@company${i}.example`,
      customer_name: `Company ${i}`,
      status,
      created: at,
      currency: "usd",
      billing_reason: k === 0 ? "subscription_create" : "subscription_cycle",
      amount_due: amount,
      amount_paid: status === "paid" ? amount : 0,
      attempt_count: status === "open" ? 2 : status === "paid" ? 1 : 0,
      next_payment_attempt: status === "open" ? at + 3 * DAY_S : null,
      period_end: at,
      status_transitions: { finalized_at: status === "draft" ? null : at, paid_at: status === "paid" ? at + 60 : null },
    });
    return id;
  });
}

/** A small deterministic spread (no randomness in tests). */
function n(i: number): number {
  return (i * 7919) % 101;
}

/** A paid charge of the customer's first invoice, partly refunded (twice for every 18th), disputed for every 27th. */
function addRefundsAndDisputes(stripe: FakeStripe, out: SeededStripe, customer: string, i: number, created: number): void {
  const pad = String(i).padStart(5, "0");
  const amount = [4900, 9900, 19900][i % 3]!;
  const charge = `ch_bf${pad}`;
  stripe.lists.addCharge({ id: charge, object: "charge", customer, invoice: `in_bf${pad}_0`, payment_intent: `pi_bf${pad}`, amount, currency: "usd", created: created + 60, paid: true, status: "succeeded", billing_details: { email: null } });
  out.refundedCharges.push(charge);
  out.refunds.push(stripe.lists.addRefund({ id: `re_bf${pad}_a`, charge, amount: 1000, created: created + 5 * DAY_S }).id);
  if (i % 18 === 0) out.refunds.push(stripe.lists.addRefund({ id: `re_bf${pad}_b`, charge, amount: 500, created: created + 6 * DAY_S }).id);
  if (i % 27 === 0) out.disputes.push(stripe.lists.addDispute({ id: `dp_bf${pad}`, charge, amount: amount - 1500, created: created + 9 * DAY_S, reason: "product_unacceptable" }).id);
}
