import { env } from "cloudflare:test";
import type { NormalizedEvent } from "../../src/core/events";
import type { InboxRow } from "../../src/store/inbox";

/** Stores normalized Stripe invoice events as received inbox rows, as ingest would, without the webhook. */
export async function receiveNormalized(events: readonly NormalizedEvent[], now: number): Promise<void> {
  await env.DB.batch(
    events.map((e) =>
      env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES (?, 'stripe', 'invoice.paid', 'received', ?, ?, ?)`).bind(
        e.id,
        e.occurredAt,
        now,
        JSON.stringify([e]),
      ),
    ),
  );
}

/** Rows already in the inbox, as the commit's statements take them (only their ids are read). */
export function storedRows(ids: readonly string[]): InboxRow[] {
  return ids.map((id) => ({ id, source: id.split(":")[0]!, vendorType: "", status: "received", occurredAt: 0, attempts: 1, events: [] }));
}

/** A Stripe customer's paid invoice, its email domain named after the customer: a fact that makes or moves a customer. */
export const paidInvoice = (id: string, customer: string, at: number, amountPaid = 4900): NormalizedEvent => ({
  id: `stripe:${id}`,
  source: "stripe",
  type: "invoice.paid",
  occurredAt: at,
  subject: { stripeCustomerId: customer, email: `ops@${customer}.example`, domain: `${customer}.example` },
  invoiceId: `in_${id}`,
  reason: "first",
  amountPaid,
  currency: "usd",
});

/**
 * Every delivery D1 keeps, in one shape, for `FROM ${KEPT_DELIVERIES} WHERE ...`: inbox rows, and the ids of applied
 * deliveries carried on the events queue (migrations/0028_applied_deliveries.sql), which are `processed`.
 */
export const KEPT_DELIVERIES = `(SELECT id, source, status, customer_id FROM inbox_events UNION ALL SELECT id, source, 'processed' AS status, customer_id FROM applied_deliveries)`;
