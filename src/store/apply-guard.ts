import { keyPairs, type IdentityKey } from "./identity";
import type { InboxRow } from "./inbox";

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
 * past their source's window. Carried deliveries (src/store/carried.ts) have no row yet: theirs are inserted by a
 * second statement under the same conditions, and a row already there fails it on the primary key.
 */
export function markAppliedStmts(
  db: D1Database,
  customerId: string,
  rows: readonly InboxRow[],
  linking: readonly IdentityKey[],
  expectedVersion: number | null,
  held: readonly IdentityKey[] | null,
  loyaltySeq: number | null,
  now: number,
): D1PreparedStatement[] {
  const stored = rows.filter((r) => !r.carried).map((r) => r.id);
  const carried = rows.filter((r) => r.carried);
  const args = [keyPairs(linking), customerId, expectedVersion, held === null ? null : keyPairs(held), now, loyaltySeq] as const;
  const out: D1PreparedStatement[] = [];
  if (stored.length > 0) {
    out.push(
      db
        .prepare(`UPDATE inbox_events SET customer_id = ?3, processed_at = ?6, reason = NULL, status = CASE WHEN status <> 'received' OR ${RACED} THEN NULL ELSE 'processed' END WHERE id IN (SELECT value FROM json_each(?1))`)
        .bind(JSON.stringify(stored), ...args),
    );
  }
  if (carried.length > 0) {
    // A carried delivery's row is written here: a row already there (a concurrent consumer applied a duplicate of
    // it) fails the commit on the primary key, as a row no longer `received` does above.
    const values = carried.map((r) => ({
      id: r.id,
      source: r.source,
      vendorType: r.vendorType,
      occurredAt: r.occurredAt,
      receivedAt: r.carried!.receivedAt,
      attempts: r.attempts,
      requestId: r.carried!.requestId,
      normalized: JSON.stringify(r.events),
      payload: r.carried!.payload,
    }));
    out.push(
      db
        .prepare(
          `INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, processed_at, attempts, customer_id, request_id, normalized, payload)
           SELECT v.value ->> '$.id', v.value ->> '$.source', v.value ->> '$.vendorType', CASE WHEN ${RACED} THEN NULL ELSE 'processed' END,
             v.value ->> '$.occurredAt', v.value ->> '$.receivedAt', ?6, v.value ->> '$.attempts', ?3, v.value ->> '$.requestId', v.value ->> '$.normalized', v.value ->> '$.payload'
           FROM json_each(?1) v`,
        )
        .bind(JSON.stringify(values), ...args),
    );
  }
  return out;
}

/** The conditions under which a step's commit lost a race (parameters ?2 to ?7 of the statements above). */
const RACED = `(
  EXISTS (
    WITH k (kind, value) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))
    SELECT 1 FROM k JOIN identities i ON i.kind = k.kind AND i.value = k.value WHERE i.customer_id <> ?3
  )
  OR ((?4 IS NOT NULL OR ?7 IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM customers WHERE id = ?3 AND (?4 IS NULL OR version = ?4) AND (?7 IS NULL OR loyalty_seq = ?7)))
  OR (?5 IS NOT NULL AND (
    (SELECT COUNT(*) FROM identities WHERE customer_id = ?3) <> json_array_length(?5)
    OR EXISTS (
      WITH h (kind, value) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?5))
      SELECT 1 FROM h WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.kind = h.kind AND i.value = h.value AND i.customer_id = ?3)
    )
  ))
)`;

/** The error D1 gives when `markAppliedStmt`'s guard refused the commit (a lost race, retried), as opposed to any other failure. */
export const isApplyGuardFailure = (err: unknown): boolean =>
  err instanceof Error && /NOT NULL constraint failed: inbox_events\.status|UNIQUE constraint failed: inbox_events\.id/.test(err.message);
