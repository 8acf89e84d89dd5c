import { destinationOf, type Action } from "../core/actions";

/** Points spending: one conditional statement decides, so concurrent redemptions can never spend the same points. */

export interface Redemption {
  id: string;
  customerId: string;
  points: number;
  amount: number;
  currency: string;
  at: number;
  /** A member's redemption of a catalogue reward (src/member/redeem.ts): the ledger row is kind `reward`, ref'd by it. */
  rewardId?: string;
}

/**
 * The ledger row is inserted only if the balance covers it, evaluated inside the insert; the credit
 * action is inserted only if that row exists. D1 runs a batch as one transaction, one at a time, so
 * concurrent redemptions cannot overdraw; a reused id conflicts on the row's id and inserts nothing.
 */
export function redeemStmts(db: D1Database, r: Redemption, action: Action, rulesVersion: string): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, amount, currency, ref, reason, action_id, rules_version, at)
         SELECT ?1, ?2, 'points.redeemed', ?9, -?3, ?4, ?5, ?10, NULL, ?6, ?7, ?8
         WHERE (SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger WHERE customer_id = ?2) >= ?3
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(r.id, r.customerId, r.points, r.amount, r.currency, action.id, rulesVersion, r.at, r.rewardId ? "reward" : "redemption", r.rewardId ?? null),
    db
      .prepare(
        `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?6
         WHERE EXISTS (SELECT 1 FROM loyalty_ledger WHERE id = ?7 AND customer_id = ?2 AND points = -?8 AND amount = ?9 AND ref IS ?10)
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(action.id, r.customerId, destinationOf(action.payload.type), action.payload.type, JSON.stringify(action.payload), r.at, r.id, r.points, r.amount, r.rewardId ?? null),
  ];
}

export function ledgerRowStmt(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare(`SELECT id, customer_id, points, amount, currency, at FROM loyalty_ledger WHERE id = ?`).bind(id);
}

export function balanceStmt(db: D1Database, customerId: string): D1PreparedStatement {
  return db.prepare(`SELECT COALESCE(SUM(points), 0) AS balance FROM loyalty_ledger WHERE customer_id = ?`).bind(customerId);
}

export async function pointsBalance(db: D1Database, customerId: string): Promise<number> {
  return (await balanceStmt(db, customerId).first<{ balance: number }>())!.balance;
}

export async function member(db: D1Database, customerId: string): Promise<{ enrolledAt: number; via: string } | null> {
  const r = await db.prepare(`SELECT enrolled_at, via FROM loyalty_members WHERE customer_id = ?`).bind(customerId).first<{ enrolled_at: number; via: string }>();
  return r ? { enrolledAt: r.enrolled_at, via: r.via } : null;
}

/** Stripe customer id and currency of a customer, or null when there is no such customer. */
export async function billingIdentity(db: D1Database, customerId: string): Promise<{ stripeCustomerId: string | null; currency: string | null } | null> {
  const r = await db
    .prepare(
      `SELECT c.currency, json_extract(c.state, '$.profile.currency') AS profile_currency,
         (SELECT value FROM identities WHERE customer_id = c.id AND kind = 'stripe' ORDER BY created_at LIMIT 1) AS stripe
       FROM customers c WHERE c.id = ?`,
    )
    .bind(customerId)
    .first<{ currency: string | null; profile_currency: string | null; stripe: string | null }>();
  return r ? { stripeCustomerId: r.stripe, currency: r.currency ?? r.profile_currency } : null;
}
