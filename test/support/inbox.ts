import { env } from "cloudflare:test";
import type { NormalizedEvent } from "../../src/core/events";

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
