import { z } from "zod";
import { normalizedEventSchema } from "../core/events";
import type { EventMessage } from "../env";
import type { InboxRow, NewInboxRow } from "./inbox";

/**
 * A delivery that travels on the events queue instead of being written to the inbox at ingest: the sources named in
 * QUEUE_CARRIED_SOURCES (Segment by default: the usage stream, nearly all of the volume). The webhook answers 2xx
 * once the queue has the message (Queues keeps it until a consumer acks it, at least once), and the commit that
 * applies it records its id in `applied_deliveries`, in the same D1 transaction as its effects: that primary key
 * (`${source}:${dedupe key}`, as an inbox row's) is what makes a duplicate apply nothing. No D1 write on the
 * webhook's path, one small row per event at commit, and no inbox row unless it is not applied (unmatched, failed),
 * when an operator may need its facts and body.
 */
export const carriedDeliverySchema = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  vendorType: z.string(),
  occurredAt: z.number().int(),
  receivedAt: z.number().int(),
  requestId: z.string().nullable(),
  events: z.array(normalizedEventSchema).min(1),
  payload: z.string().nullable(),
});
export type CarriedDelivery = z.infer<typeof carriedDeliverySchema>;

/** Queues refuses a message over 128 KB (metadata included): a delivery larger than this is written to the inbox instead. */
export const MAX_CARRIED_BYTES = 120_000;

/** `sendBatch` takes at most 100 messages or 256 KB. */
const MAX_SEND_BATCH_BYTES = 250_000;
const MAX_SEND_BATCH_MESSAGES = 100;

/** `keepRaw` false (RAW_PAYLOAD_RETENTION_DAYS = 0): the raw body, which would be dropped anyway, is not carried. */
export function carriedDelivery(r: NewInboxRow, keepRaw = true): CarriedDelivery {
  return { id: r.id, source: r.source, vendorType: r.vendorType, occurredAt: r.occurredAt, receivedAt: r.receivedAt, requestId: r.requestId, events: r.events, payload: keepRaw ? r.payload : null };
}

/** Its size as a queue message, in bytes of its JSON. */
export function carriedBytes(d: CarriedDelivery): number {
  return new TextEncoder().encode(JSON.stringify({ delivery: d })).byteLength;
}

/** A carried delivery with its size as a queue message, measured once. */
export interface SizedDelivery {
  delivery: CarriedDelivery;
  bytes: number;
}

/**
 * Which rows of one request travel on the queue: rows with facts, of a carried source, small enough for a message.
 * The rest (ignored deliveries, which an operator may want to see, and oversized ones) are written to the inbox.
 */
export function splitCarried(rows: readonly NewInboxRow[], carriedSources: ReadonlySet<string>, keepRaw = true): { carried: SizedDelivery[]; stored: NewInboxRow[] } {
  const carried: SizedDelivery[] = [];
  const stored: NewInboxRow[] = [];
  for (const r of rows) {
    const delivery = r.status === "received" && carriedSources.has(r.source) ? carriedDelivery(r, keepRaw) : null;
    const bytes = delivery ? carriedBytes(delivery) : Infinity;
    if (delivery && bytes <= MAX_CARRIED_BYTES) carried.push({ delivery, bytes });
    else stored.push(r);
  }
  return { carried, stored };
}

/**
 * Sends carried deliveries in batches inside the Queues limits. A failed send throws: nothing else holds them.
 * `direct`: a delivery an account shard held and gives back, to be applied at once from now on (src/shard/hold.ts).
 */
export async function sendCarried(queue: Queue<EventMessage>, deliveries: readonly SizedDelivery[], direct = false): Promise<void> {
  let batch: { body: EventMessage }[] = [];
  let bytes = 0;
  for (const d of deliveries) {
    if (batch.length > 0 && (batch.length >= MAX_SEND_BATCH_MESSAGES || bytes + d.bytes > MAX_SEND_BATCH_BYTES)) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body: direct ? { delivery: d.delivery, direct: true } : { delivery: d.delivery } });
    bytes += d.bytes;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}

export function carriedRow(d: CarriedDelivery, attempts: number, direct = false): InboxRow {
  return {
    id: d.id,
    source: d.source,
    vendorType: d.vendorType,
    status: "received",
    occurredAt: d.occurredAt,
    attempts,
    events: d.events,
    carried: { receivedAt: d.receivedAt, requestId: d.requestId, payload: d.payload, ...(direct ? { direct } : {}) },
  };
}

/** Which of these ids have an inbox row or were applied as carried deliveries (one read). */
export async function storedInboxIds(db: D1Database, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `SELECT id FROM inbox_events WHERE id IN (SELECT value FROM json_each(?1))
       UNION ALL SELECT id FROM applied_deliveries WHERE id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/** The delivery a carried row came as (carriedRow's inverse). */
export function deliveryOf(row: InboxRow): CarriedDelivery {
  const c = row.carried!;
  return { id: row.id, source: row.source, vendorType: row.vendorType, occurredAt: row.occurredAt, receivedAt: c.receivedAt, requestId: c.requestId, events: row.events, payload: c.payload };
}

/**
 * The carried deliveries not applied or stored yet. An applied id or an inbox row means the delivery was applied,
 * recorded unmatched or failed, or came again by the D1 path: a re-delivery is dropped here, and one that slips
 * past (two consumers at once) fails its commit on the applied id's primary key and is dropped on the retry.
 */
export async function notStoredYet(db: D1Database, deliveries: readonly { d: CarriedDelivery; attempts: number; direct?: boolean }[]): Promise<InboxRow[]> {
  if (deliveries.length === 0) return [];
  const stored = await storedInboxIds(db, deliveries.map(({ d }) => d.id));
  const seen = new Set<string>();
  const out: InboxRow[] = [];
  for (const { d, attempts, direct } of deliveries) {
    if (stored.has(d.id) || seen.has(d.id)) continue;
    seen.add(d.id);
    out.push(carriedRow(d, attempts, direct === true));
  }
  return out;
}
