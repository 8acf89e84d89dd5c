import type { Delivery } from "../../webhooks/source";
import { normalizedEventSchema, type NormalizedEvent, type SourceName } from "../core/events";

export type InboxStatus = "received" | "processed" | "ignored" | "unmatched" | "failed";

export interface NewInboxRow {
  id: string;
  source: string;
  vendorType: string;
  status: "received" | "ignored";
  occurredAt: number;
  receivedAt: number;
  requestId: string;
  reason: string | null;
  events: NormalizedEvent[];
  payload: string;
}

export interface InboxRow {
  id: string;
  source: string;
  vendorType: string;
  status: InboxStatus;
  occurredAt: number;
  attempts: number;
  events: NormalizedEvent[];
  /** Set when the delivery came on the queue with no inbox row yet (src/store/carried.ts): the commit inserts its row. */
  carried?: { receivedAt: number; requestId: string | null; payload: string | null; direct?: boolean };
}

/**
 * One inbox row per delivery, whether it came as a webhook or was read from a vendor's API (backfill,
 * reconciliation): id `${source}:${dedupe key}`, so anything already there is a duplicate.
 */
export function inboxRow(source: SourceName, d: Delivery, now: number, requestId: string): NewInboxRow {
  const ignored = d.events.length === 0;
  return {
    id: `${source}:${d.dedupeKey}`,
    source,
    vendorType: d.vendorType,
    status: ignored ? "ignored" : "received",
    occurredAt: d.occurredAt,
    receivedAt: now,
    requestId,
    reason: ignored ? (d.ignoredReason ?? "Tenure does not use this event type") : null,
    events: d.events,
    payload: d.raw,
  };
}

/** Ids of the rows that were new and carry facts: the ones to put on the events queue. */
export function toEnqueue(rows: readonly NewInboxRow[], inserted: readonly string[]): string[] {
  const fresh = new Set(inserted);
  return rows.filter((r) => r.status === "received" && fresh.has(r.id)).map((r) => r.id);
}

/** Inserts deliveries; a duplicate id changes nothing. Returns the ids that were new. */
export async function saveDeliveries(db: D1Database, rows: NewInboxRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  return insertedIds(rows, await db.batch(rows.map((r) => insertDeliveryStmt(db, r))));
}

/** What one webhook request's commit reports: its new rows, and those of its rows no consumer has claimed yet. */
export interface CommittedDeliveries {
  inserted: string[];
  /**
   * Rows still `received` with no attempt: the new ones, and duplicates whose first hand-off to the queue may
   * have been lost (the request that stored them died before its send). Both go to the queue; a row sent twice
   * is applied once, because the consumer claims only rows still `received`.
   */
  unclaimed: string[];
}

/**
 * Inserts one request's deliveries in one D1 batch (one transaction, one round trip) of this request's own. A new
 * row waits for the queue by definition; only when some row was a duplicate does a second statement read which
 * duplicates no consumer has claimed yet (a vendor's retry is rare, a new delivery is the common case).
 */
export async function commitDeliveries(db: D1Database, rows: NewInboxRow[]): Promise<CommittedDeliveries> {
  if (rows.length === 0) return { inserted: [], unclaimed: [] };
  const inserted = insertedIds(rows, await db.batch(rows.map((r) => insertDeliveryStmt(db, r))));
  const fresh = new Set(inserted);
  const duplicates = rows.filter((r) => !fresh.has(r.id)).map((r) => r.id);
  const waiting = new Set(rows.filter((r) => fresh.has(r.id) && r.status === "received").map((r) => r.id));
  if (duplicates.length > 0) {
    const { results } = await db
      .prepare(`SELECT id FROM inbox_events WHERE id IN (SELECT value FROM json_each(?)) AND +status = 'received' AND attempts = 0`)
      .bind(JSON.stringify(duplicates))
      .all<{ id: string }>();
    for (const r of results) waiting.add(r.id);
  }
  return { inserted, unclaimed: rows.filter((r) => waiting.has(r.id)).map((r) => r.id) };
}

/** The ids of `rows` whose insert (the matching entry of `results`) changed a row, i.e. that were not duplicates. */
export function insertedIds(rows: readonly NewInboxRow[], results: readonly D1Result[]): string[] {
  return rows.filter((_, i) => (results[i]?.meta.changes ?? 0) > 0).map((r) => r.id);
}

/**
 * The insert of one delivery (a duplicate id changes nothing, and so does the id of a carried delivery already applied,
 * should its source stop being carried), for callers that commit it with other statements.
 */
export function insertDeliveryStmt(db: D1Database, r: NewInboxRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, request_id, reason, normalized, payload)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE NOT EXISTS (SELECT 1 FROM applied_deliveries WHERE id = ?1)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(r.id, r.source, r.vendorType, r.status, r.occurredAt, r.receivedAt, r.requestId, r.reason, JSON.stringify(r.events), r.payload);
}

/** Loads the rows still waiting to be applied, and counts this attempt. */
export async function claimReceived(db: D1Database, ids: string[]): Promise<InboxRow[]> {
  if (ids.length === 0) return [];
  const marks = ids.map(() => "?").join(",");
  await db.prepare(`UPDATE inbox_events SET attempts = attempts + 1 WHERE id IN (${marks}) AND status = 'received'`).bind(...ids).run();
  const { results } = await db
    .prepare(`SELECT id, source, vendor_type, status, occurred_at, attempts, normalized FROM inbox_events WHERE id IN (${marks}) AND status = 'received'`)
    .bind(...ids)
    .all<{ id: string; source: string; vendor_type: string; status: InboxStatus; occurred_at: number; attempts: number; normalized: string }>();
  return results.map((r) => ({
    id: r.id,
    source: r.source,
    vendorType: r.vendor_type,
    status: r.status,
    occurredAt: r.occurred_at,
    attempts: r.attempts,
    events: (JSON.parse(r.normalized) as unknown[]).map((e) => normalizedEventSchema.parse(e)),
  }));
}

/**
 * Only a row still `received`: one that a concurrent consumer applied meanwhile stays applied. A carried delivery's
 * row is inserted as unmatched, unless a concurrent consumer stored it first.
 */
export function markUnmatchedStmt(db: D1Database, row: InboxRow, reason: string, now: number): D1PreparedStatement {
  if (row.carried) return insertCarriedStmt(db, row, { status: "unmatched", reason, now });
  return db.prepare(`UPDATE inbox_events SET status = 'unmatched', processed_at = ?, reason = ? WHERE id = ? AND status = 'received'`).bind(now, reason, row.id);
}

/**
 * Stores a carried delivery's row with its outcome (unmatched, failed, an erasure started); a row already there (a
 * duplicate stored by a concurrent consumer) is left as it is, and a delivery a concurrent consumer applied is not
 * stored.
 */
export function insertCarriedStmt(
  db: D1Database,
  row: InboxRow,
  o: { status: "processed" | "unmatched" | "failed"; reason: string | null; now: number; customerId?: string | null },
): D1PreparedStatement {
  const c = row.carried!;
  return db
    .prepare(
      `INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, processed_at, attempts, customer_id, request_id, reason, normalized, payload)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE NOT EXISTS (SELECT 1 FROM applied_deliveries WHERE id = ?1)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(row.id, row.source, row.vendorType, o.status, row.occurredAt, c.receivedAt, o.now, row.attempts, o.customerId ?? null, c.requestId, o.reason, JSON.stringify(row.events), c.payload);
}

/** Rows still `received` become `failed`; carried deliveries are stored as `failed`, so a re-drive can apply them. */
export async function markFailed(db: D1Database, rows: (string | InboxRow)[], reason: string, now: number): Promise<void> {
  if (rows.length === 0) return;
  const stmt = db.prepare(`UPDATE inbox_events SET status = 'failed', processed_at = ?, reason = ? WHERE id = ? AND status = 'received'`);
  await db.batch(rows.map((r) => (typeof r === "string" ? stmt.bind(now, reason, r) : insertCarriedStmt(db, r, { status: "failed", reason, now }))));
}

/**
 * Rows committed but not applied for longer than `olderThanMs`: a lost enqueue (no attempt yet) or a
 * consumer that crashed (some attempts).
 */
export async function staleReceived(db: D1Database, now: number, olderThanMs: number, maxAttempts: number, limit = 500): Promise<{ id: string; attempts: number }[]> {
  const { results } = await db
    .prepare(`SELECT id, attempts FROM inbox_events WHERE status = 'received' AND received_at < ? AND attempts < ? ORDER BY received_at LIMIT ?`)
    .bind(now - olderThanMs, maxAttempts, limit)
    .all<{ id: string; attempts: number }>();
  return results;
}

export interface RedriveFilter {
  ids?: string[];
  /** Received at or after (ms). */
  from?: number;
  /** Received at or before (ms). */
  to?: number;
  source?: string;
}

/**
 * Puts up to `limit` `failed` rows matching the filter (oldest first) back to `received` with their attempts
 * reset, and says whether more remain. The caller enqueues the returned ids; a lost enqueue is the sweeper's.
 */
export async function redriveFailed(db: D1Database, f: RedriveFilter, limit: number): Promise<{ ids: string[]; more: boolean }> {
  const where = `status = 'failed' AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1))) AND received_at >= ?2 AND received_at <= ?3 AND (?4 IS NULL OR source = ?4)`;
  const args = [f.ids ? JSON.stringify(f.ids) : null, f.from ?? 0, f.to ?? Number.MAX_SAFE_INTEGER, f.source ?? null];
  const [updated, rest] = await db.batch<{ id: string } | { more: number }>([
    db
      .prepare(
        `UPDATE inbox_events SET status = 'received', attempts = 0, processed_at = NULL, reason = NULL
         WHERE id IN (SELECT id FROM inbox_events WHERE ${where} ORDER BY received_at, id LIMIT ?5) RETURNING id`,
      )
      .bind(...args, limit),
    db.prepare(`SELECT EXISTS (SELECT 1 FROM inbox_events WHERE ${where}) AS more`).bind(...args),
  ]);
  return {
    ids: (updated!.results as { id: string }[]).map((r) => r.id),
    more: ((rest!.results[0] as { more: number } | undefined)?.more ?? 0) === 1,
  };
}

/** How many rows wait in `failed` for a re-drive. */
export async function countFailed(db: D1Database): Promise<number> {
  const row = await db.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'failed'`).first<{ n: number }>();
  return row?.n ?? 0;
}
