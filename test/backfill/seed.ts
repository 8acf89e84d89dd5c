import type { FakeStripe } from "../fakes/stripe";

/** Stripe records shaped as the API returns them (the fields Tenure reads, plus the usual neighbours). */

const DAY_S = 86_400;

export function seedStripe(stripe: FakeStripe, n: { customers: number; nowS: number }): { customers: string[]; subscriptions: string[]; invoices: string[] } {
  const out = { customers: [] as string[], subscriptions: [] as string[], invoices: [] as string[] };
  for (let i = 0; i < n.customers; i++) {
    const created = n.nowS - (200 - (i % 150)) * DAY_S;
    const id = `cus_bf${String(i).padStart(5, "0")}`;
    stripe.lists.addCustomer({ id, created, email: `billing@company${i}.example`, name: `Company ${i}`, currency: "usd", metadata: { account_id: `acct_${i}` } });
    out.customers.push(id);
    if (i % 2 === 0) out.subscriptions.push(addSubscription(stripe, id, i, created).id);
    if (i % 3 === 0) out.invoices.push(...addInvoices(stripe, id, i, created));
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
