import { keyPairs, type IdentityKey } from "./identity";

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
 * past their source's window.
 */
export function markAppliedStmt(
  db: D1Database,
  customerId: string,
  rowIds: readonly string[],
  linking: readonly IdentityKey[],
  expectedVersion: number | null,
  held: readonly IdentityKey[] | null,
  loyaltySeq: number | null,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE inbox_events SET customer_id = ?3, processed_at = ?6, reason = NULL, status = CASE WHEN
         status <> 'received'
         OR EXISTS (
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
       THEN NULL ELSE 'processed' END
       WHERE id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(rowIds), keyPairs(linking), customerId, expectedVersion, held === null ? null : keyPairs(held), now, loyaltySeq);
}

/** The error D1 gives when `markAppliedStmt`'s guard refused the commit (a lost race, retried), as opposed to any other failure. */
export const isApplyGuardFailure = (err: unknown): boolean => err instanceof Error && /NOT NULL constraint failed: inbox_events\.status/.test(err.message);
