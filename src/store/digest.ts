/** Alerts held for the daily digest (src/outbox/digest-hold.ts): skipped one by one, their result says why. */
export const HELD_REASON = "held for the daily digest";

export function holdForDigestStmt(db: D1Database, id: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE outbox SET status = 'skipped', last_error = ?, result = json_object('heldFor', 'digest'), lease_until = NULL, delivered_at = ?
       WHERE id = ? AND status = 'pending'`,
    )
    .bind(HELD_REASON, now, id);
}

export interface HeldAlert {
  id: string;
  customerId: string | null;
  payload: string;
  /** The owner's email as the owners table remembers it, for alerts planned with only a HubSpot owner id. */
  ownerEmail: string | null;
}

/**
 * One page of held alerts not yet in a digest, planned by `asOf`, in id order after `after`. Read through the
 * outbox's (status, destination, …) index: only skipped Slack rows are looked at.
 */
export async function heldAlertsPage(db: D1Database, asOf: number, after: string, limit: number): Promise<HeldAlert[]> {
  const { results } = await db
    .prepare(
      `SELECT o.id, o.customer_id, o.payload, w.email AS owner_email FROM outbox o
       LEFT JOIN owners w ON w.id = json_extract(o.payload, '$.hubspotOwnerId')
       WHERE o.status = 'skipped' AND o.destination = 'slack' AND o.type = 'slack.alert' AND o.created_at <= ? AND o.id > ?
         AND json_extract(o.result, '$.heldFor') = 'digest' AND json_extract(o.result, '$.digest') IS NULL
       ORDER BY o.id LIMIT ?`,
    )
    .bind(asOf, after, limit)
    .all<{ id: string; customer_id: string | null; payload: string; owner_email: string | null }>();
  return results.map((r) => ({ id: r.id, customerId: r.customer_id, payload: r.payload, ownerEmail: r.owner_email }));
}

/** Records which digest message carries the alert, so no later digest lists it again. */
export function markDigestedStmt(db: D1Database, alertId: string, digestId: string): D1PreparedStatement {
  return db.prepare(`UPDATE outbox SET result = json_set(result, '$.digest', ?) WHERE id = ?`).bind(digestId, alertId);
}

