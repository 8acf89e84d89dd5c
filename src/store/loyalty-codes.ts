import type { Action } from "../core/actions";
import { HUBSPOT_PROPERTIES } from "../core/plan";
import { PAYING_STAGES } from "../core/rewards/codes";
import { insertCodeStmt } from "./loyalty";

/** SQL of default referral codes: a new code with its Stripe action, and the daily walk over customers. */

/**
 * The code row, then its Stripe action only if the row is this customer's: a code another customer already
 * holds (a hash collision) or a code this customer got concurrently queues nothing.
 */
export function newCodeStmts(db: D1Database, customerId: string, code: string, action: Action, now: number): D1PreparedStatement[] {
  return [
    insertCodeStmt(db, code, customerId, action.id, now),
    db
      .prepare(
        `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?1, ?2, 'stripe', ?3, ?4, 'pending', 0, ?5, ?5, ?5
         WHERE EXISTS (SELECT 1 FROM referral_codes WHERE code = ?6 AND referrer_id = ?2 AND action_id = ?1)
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(action.id, customerId, action.payload.type, JSON.stringify(action.payload), now, code),
  ];
}

/**
 * One page of the daily walk: customers after `after` (id order), at most `limit` scanned. `missing` are eligible
 * and have no code; `unsynced` have a code one of their HubSpot companies does not show yet (a code made before
 * codes were synced, or whose sync was lost) and no sync waiting. `last` is the last id scanned, null at the end.
 */
export async function codesWalkPage(
  db: D1Database,
  eligible: "paying" | "all",
  after: string,
  limit: number,
): Promise<{ missing: string[]; unsynced: string[]; last: string | null }> {
  const { results } = await db
    .prepare(
      `SELECT c.id,
         (rc.code IS NULL AND (?3 = 'all' AND COALESCE(c.stage, '') != 'churned' OR c.stage IN (SELECT value FROM json_each(?4)))) AS missing,
         (rc.code IS NOT NULL AND EXISTS (
            SELECT 1 FROM identities i WHERE i.customer_id = c.id AND i.kind = 'hubspot'
              AND NOT EXISTS (SELECT 1 FROM hubspot_synced s WHERE s.company_id = i.value AND s.property = ?5 AND s.value = rc.code)
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = 'hubspot.properties:' || i.value || ':loyalty' AND o.status = 'pending'))) AS unsynced
       FROM customers c LEFT JOIN referral_codes rc ON rc.referrer_id = c.id
       WHERE c.id > ?1 ORDER BY c.id LIMIT ?2`,
    )
    .bind(after, limit, eligible, JSON.stringify(PAYING_STAGES), HUBSPOT_PROPERTIES.referralCode)
    .all<{ id: string; missing: number; unsynced: number }>();
  return {
    missing: results.filter((r) => r.missing).map((r) => r.id),
    unsynced: results.filter((r) => r.unsynced).map((r) => r.id),
    last: results.length < limit ? null : results[results.length - 1]!.id,
  };
}
