import { destinationOf, type Action } from "../core/actions";

/** A member's redemption of a catalogue reward: the spend and its Stripe credit decided by one conditional batch. */

export interface RewardRedemption {
  id: string;
  customerId: string;
  rewardId: string;
  points: number;
  amount: number;
  currency: string;
  at: number;
}

/**
 * The ledger row is inserted only if the balance covers it, evaluated inside the insert, and the credit action
 * only if that row exists; D1 runs a batch as one transaction, so concurrent redemptions cannot overdraw.
 * A reused request id conflicts on the row's id and inserts nothing.
 */
export function rewardRedemptionStmts(db: D1Database, r: RewardRedemption, action: Action, rulesVersion: string): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, amount, currency, ref, reason, action_id, rules_version, at)
         SELECT ?1, ?2, 'points.redeemed', 'reward', -?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9
         WHERE (SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger WHERE customer_id = ?2) >= ?3
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(r.id, r.customerId, r.points, r.amount, r.currency, r.rewardId, action.id, rulesVersion, r.at),
    db
      .prepare(
        `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?6
         WHERE EXISTS (SELECT 1 FROM loyalty_ledger WHERE id = ?7 AND customer_id = ?2 AND ref = ?8 AND points = -?9)
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(action.id, r.customerId, destinationOf(action.payload.type), action.payload.type, JSON.stringify(action.payload), r.at, r.id, r.rewardId, r.points),
  ];
}

export function redemptionRowStmt(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare(`SELECT id, ref AS rewardId, points, amount, currency, at FROM loyalty_ledger WHERE id = ?`).bind(id);
}
