import type { IdentityKey } from "./identity";
import type { InboxRow } from "./inbox";
import { jsonArrays } from "./limits";

/** One customer's part of a commit's guard: its inbox rows and what the step read of the customer. */
export interface AppliedGuard {
  customerId: string;
  rows: readonly InboxRow[];
  /** Keys the step links to the customer. */
  linking: readonly IdentityKey[];
  /** The version the step read; null for a new customer, whose insert fails on its own if another writer made it. */
  expectedVersion: number | null;
  /** The ids an account shard's copy gave the step, or null when it read them. */
  held: readonly IdentityKey[] | null;
  /** The loyalty position's counter the copy gave the step, or null when it read it. */
  loyaltySeq: number | null;
}

/**
 * The first statement of a customer's commit: marks the step's inbox rows `processed`, or fails the commit (D1
 * rolls back the whole batch) when batches consumed in parallel raced it. It fails if one of its inbox rows is
 * no longer `received` (a duplicate message applied it first), one of the keys it links is held by another
 * customer (a concurrent batch linked it first), or the customer row is no longer at the version the step read
 * (`expectedVersion`; null for a new customer, whose insert fails on its own if another writer made it). The
 * events are retried; the next claim skips what was applied, and resolution sees the other link, as if in order.
 * When the step took the customer's ids from an account shard's copy instead of reading them (`held`), it also
 * fails if the ids linked to the customer are no longer exactly those: their writers (a link or unlink from the
 * dashboard, a CRM move, retention, an erasure) do not move the customer's version. When the step took the
 * customer's loyalty position from the copy (`loyaltySeq`), it fails if a write to referrals, badges or codes moved
 * the customer's `loyalty_seq` since (migrations/0025_loyalty_seq.sql).
 *
 * The failure is the NOT NULL constraint on `status`: the status write and the guard are one statement, where they
 * were two (one statement of every customer step). The rows always exist when it runs, so the conditions are
 * always evaluated: a claimed row is `received`, and retention deletes only processed, ignored and unmatched rows
 * past their source's window. Carried deliveries (src/store/carried.ts) have no row yet: their ids are recorded by a
 * second statement under the same conditions, and an id already recorded or in the inbox fails it.
 *
 * Several customers' commits merged into one D1 batch share these statements (one guard each in the JSON): the
 * rows name their customer's guard by index.
 */
export function markAppliedStmts(db: D1Database, guards: readonly AppliedGuard[], now: number): D1PreparedStatement[] {
  const conditions = JSON.stringify(
    guards.map((g) => ({ c: g.customerId, l: g.linking.map((k) => [k.kind, k.value]), v: g.expectedVersion, h: g.held === null ? null : g.held.map((k) => [k.kind, k.value]), s: g.loyaltySeq })),
  );
  const stored = guards.flatMap((g, i) => g.rows.filter((r) => !r.carried).map((r) => ({ id: r.id, g: i })));
  const carried = guards.flatMap((g, i) =>
    g.rows
      .filter((r) => r.carried)
      .map((r) => ({
        g: i,
        id: r.id,
        source: r.source,
        vendorType: r.vendorType,
        occurredAt: r.occurredAt,
        receivedAt: r.carried!.receivedAt,
      })),
  );
  const out: D1PreparedStatement[] = [];
  if (stored.length > 0) {
    const update = db.prepare(
      `UPDATE inbox_events SET customer_id = g.value ->> '$.c', processed_at = ?3, reason = NULL,
         status = CASE WHEN inbox_events.status <> 'received' OR ${RACED} THEN NULL ELSE 'processed' END
       FROM json_each(?1) r JOIN json_each(?2) g ON g.key = r.value ->> '$.g'
       WHERE inbox_events.id = r.value ->> '$.id'`,
    );
    for (const rows of jsonArrays(stored)) out.push(update.bind(rows, conditions, now));
  }
  if (carried.length > 0) {
    // A carried delivery is recorded here, by its id alone (migrations/0028_applied_deliveries.sql): an id already
    // recorded (a concurrent consumer applied a duplicate of it) fails the commit on the primary key, and an id the
    // inbox holds (the delivery was stored unmatched or failed, or came again by the D1 path) on `applied_at`, as a
    // row no longer `received` does above.
    const insert = db.prepare(
      `INSERT INTO applied_deliveries (id, source, vendor_type, occurred_at, received_at, applied_at, customer_id)
       SELECT v.value ->> '$.id', v.value ->> '$.source', v.value ->> '$.vendorType', v.value ->> '$.occurredAt', v.value ->> '$.receivedAt',
         CASE WHEN ${RACED} OR EXISTS (SELECT 1 FROM inbox_events e WHERE e.id = v.value ->> '$.id') THEN NULL ELSE ?3 END, g.value ->> '$.c'
       FROM json_each(?1) v JOIN json_each(?2) g ON g.key = v.value ->> '$.g'`,
    );
    for (const rows of jsonArrays(carried)) out.push(insert.bind(rows, conditions, now));
  }
  return out;
}

/** The conditions under which a customer's commit lost a race, on its guard `g` (a row of the conditions above). */
const RACED = `(
  EXISTS (
    SELECT 1 FROM json_each(g.value, '$.l') k JOIN identities i ON i.kind = k.value ->> '$[0]' AND i.value = k.value ->> '$[1]'
    WHERE i.customer_id <> g.value ->> '$.c'
  )
  OR ((g.value ->> '$.v' IS NOT NULL OR g.value ->> '$.s' IS NOT NULL) AND NOT EXISTS (
    SELECT 1 FROM customers WHERE id = g.value ->> '$.c' AND (g.value ->> '$.v' IS NULL OR version = g.value ->> '$.v') AND (g.value ->> '$.s' IS NULL OR loyalty_seq = g.value ->> '$.s')
  ))
  OR (g.value ->> '$.h' IS NOT NULL AND (
    (SELECT COUNT(*) FROM identities WHERE customer_id = g.value ->> '$.c') <> json_array_length(g.value, '$.h')
    OR EXISTS (
      SELECT 1 FROM json_each(g.value, '$.h') h
      WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.kind = h.value ->> '$[0]' AND i.value = h.value ->> '$[1]' AND i.customer_id = g.value ->> '$.c')
    )
  ))
)`;

/** The error D1 gives when `markAppliedStmt`'s guard refused the commit (a lost race, retried), as opposed to any other failure. */
export const isApplyGuardFailure = (err: unknown): boolean =>
  err instanceof Error && /NOT NULL constraint failed: (inbox_events\.status|applied_deliveries\.applied_at)|UNIQUE constraint failed: (inbox_events|applied_deliveries)\.id/.test(err.message);
