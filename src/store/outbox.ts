import { actionPayloadSchema, destinationOf, type Action, type ActionPayload, type Destination } from "../core/actions";

export type OutboxStatus = "pending" | "delivered" | "skipped" | "failed" | "dead";

export interface OutboxRow {
  id: string;
  customerId: string | null;
  destination: Destination;
  type: string;
  payload: ActionPayload;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  result: unknown;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  /** An earlier lease ended without an outcome: the vendor may have acted on it. */
  unconfirmed: boolean;
}

/**
 * New actions. Ids are idempotency keys, so a replay inserts nothing; HubSpot property rows are the
 * exception: one row per company carries its latest values and is re-opened when they change.
 */
export function insertActionStmts(db: D1Database, actions: Action[], now: number, coalesceMs = 0, alertSettleMs = 0): D1PreparedStatement[] {
  const insert = db.prepare(
    `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const upsert = db.prepare(
    `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at,
       status = 'pending', attempts = CASE WHEN outbox.status = 'pending' THEN outbox.attempts ELSE 0 END,
       next_attempt_at = CASE WHEN outbox.status = 'pending' THEN outbox.next_attempt_at ELSE excluded.next_attempt_at END,
       last_error = CASE WHEN outbox.status = 'pending' THEN outbox.last_error END`,
  );
  // Actions that carry an account's latest state are replaced by newer ones rather than queued behind them.
  const latestWins = (a: Action) => a.payload.type === "hubspot.properties" || (a.payload.type === "declared.request" && a.payload.coalesce === true);
  return actions.map((a) =>
    (latestWins(a) ? upsert : insert).bind(
      a.id,
      a.customerId,
      destinationOf(a.payload.type),
      a.payload.type,
      JSON.stringify(a.payload),
      a.payload.type === "hubspot.properties"
        ? now + coalesceMs
        : a.payload.type === "slack.alert" || a.payload.type === "slack.recovery"
          ? now + alertSettleMs
          : a.payload.type === "declared.request"
            ? now + (a.payload.windowMs ?? 0)
            : now,
      now,
      now,
    ),
  );
}

type Raw = {
  id: string;
  customer_id: string | null;
  destination: Destination;
  type: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
  unconfirmed?: number;
};

export function toRow(r: Raw): OutboxRow {
  return {
    id: r.id,
    customerId: r.customer_id,
    destination: r.destination,
    type: r.type,
    payload: actionPayloadSchema.parse(JSON.parse(r.payload)),
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    result: r.result ? JSON.parse(r.result) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
    unconfirmed: r.unconfirmed === 1,
  };
}

/**
 * Takes a lease on due pending rows of one destination: the given ids first, then (up to `limit`) any
 * other due rows. With `fill`, once anything is due the batch is topped up with fresh rows still inside
 * their coalescing window (never with rows backing off after a failure): a burst leaves in full batches.
 */
export async function leaseDue(
  db: D1Database,
  destination: Destination,
  preferIds: string[],
  limit: number,
  now: number,
  leaseMs: number,
  fill = false,
): Promise<OutboxRow[]> {
  const { results } = await db
    .prepare(
      `UPDATE outbox SET unconfirmed = (unconfirmed OR lease_until IS NOT NULL), lease_until = ?1
       WHERE id IN (
         SELECT id FROM outbox
         WHERE destination = ?2 AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?3)
           AND (next_attempt_at <= ?3 OR (?6 AND attempts = 0 AND EXISTS (
             SELECT 1 FROM outbox d WHERE d.destination = ?2 AND d.status = 'pending' AND d.next_attempt_at <= ?3 AND (d.lease_until IS NULL OR d.lease_until < ?3))))
         ORDER BY CASE WHEN id IN (SELECT value FROM json_each(?4)) THEN 0 ELSE 1 END, next_attempt_at
         LIMIT ?5)
       RETURNING *`,
    )
    .bind(now + leaseMs, destination, now, JSON.stringify(preferIds), limit, fill ? 1 : 0)
    .all<Raw>();
  return results.map(toRow);
}

export function markDeliveredStmt(db: D1Database, id: string, updatedAt: number, result: unknown, now: number): D1PreparedStatement {
  // A row re-opened with newer values while we were calling the vendor stays pending (updated_at moved on).
  return db
    .prepare(
      `UPDATE outbox SET status = CASE WHEN updated_at = ? THEN 'delivered' ELSE 'pending' END,
         delivered_at = ?, result = ?, lease_until = NULL, last_error = NULL, unconfirmed = 0,
         next_attempt_at = CASE WHEN updated_at = ? THEN next_attempt_at ELSE ? END
       WHERE id = ?`,
    )
    .bind(updatedAt, now, JSON.stringify(result ?? null), updatedAt, now, id);
}

export function markRetryStmt(db: D1Database, id: string, attempts: number, nextAt: number, error: string, dead: boolean): D1PreparedStatement {
  return db
    .prepare(`UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, lease_until = NULL, updated_at = updated_at WHERE id = ?`)
    .bind(dead ? "dead" : "pending", attempts, nextAt, error.slice(0, 1000), id);
}

export function markFinalStmt(db: D1Database, id: string, status: "failed" | "skipped" | "dead", error: string, now: number): D1PreparedStatement {
  return db
    .prepare(`UPDATE outbox SET status = ?, last_error = ?, lease_until = NULL, delivered_at = CASE WHEN ? = 'skipped' THEN ? END WHERE id = ?`)
    .bind(status, error.slice(0, 1000), status, now, id);
}

export async function getAction(db: D1Database, id: string): Promise<OutboxRow | null> {
  const r = await db.prepare(`SELECT * FROM outbox WHERE id = ?`).bind(id).first<Raw>();
  return r ? toRow(r) : null;
}

/** Puts a failed/dead/skipped action back in line; a delivered one is never sent twice. */
export async function requeueAction(db: D1Database, id: string, now: number): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND status IN ('failed', 'dead', 'skipped')`)
    .bind(now, id)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** Re-queues dead letters (failed or dead) by time range and destination; delivered actions are never touched. */
export async function replayDeadLetters(
  db: D1Database,
  f: { from?: number; to?: number; destination?: Destination; status?: "failed" | "dead" },
  now: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL
       WHERE status IN (SELECT value FROM json_each(?)) AND created_at >= ? AND created_at <= ? AND (? IS NULL OR destination = ?)
       RETURNING id`,
    )
    .bind(now, JSON.stringify(f.status ? [f.status] : ["failed", "dead"]), f.from ?? 0, f.to ?? now, f.destination ?? null, f.destination ?? null)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Due pending rows nobody holds: the sweeper re-enqueues them (covers lost messages and long retry delays). */
export async function overdueActions(db: D1Database, now: number, graceMs: number, limit = 1000): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?`)
    .bind(now - graceMs, now, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** An outbox row for display (admin API, dashboard): the payload as stored, not validated against today's schema. */
export interface ActionRow {
  id: string;
  customerId: string | null;
  destination: string;
  type: string;
  status: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  payload: Record<string, any>;
  result: unknown;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export function actionRow(r: Record<string, any>): ActionRow {
  return {
    id: r.id,
    customerId: r.customer_id,
    destination: r.destination,
    type: r.type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    payload: parseStored(r.payload, (raw) => ({ unparsed: raw })) as Record<string, any>,
    result: r.result === null || r.result === undefined ? null : parseStored(r.result, (raw) => raw),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}

function parseStored(v: unknown, fallback: (raw: string) => unknown): unknown {
  try {
    return JSON.parse(String(v));
  } catch {
    return fallback(String(v));
  }
}
