/**
 * SQL of the program manager's actions: balance adjustments (never below zero), the audit of every action
 * with its actor, and the program's funnels.
 */

export interface Adjustment {
  id: string;
  customerId: string;
  points: number;
  reason: string;
  rulesVersion: string;
  at: number;
}

/**
 * The adjustment's ledger row, written only if the balance stays at zero or above (read in the same statement,
 * so concurrent redemptions cannot take it below), and its audit row, written only with the ledger row.
 */
export function adjustStmts(db: D1Database, a: Adjustment, actor: string): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, amount, currency, ref, reason, action_id, rules_version, at)
         SELECT ?1, ?2, 'points.adjusted', 'manual', ?3, NULL, NULL, NULL, ?4, NULL, ?5, ?6
         WHERE (SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger WHERE customer_id = ?2) + ?3 >= 0
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(a.id, a.customerId, a.points, a.reason, a.rulesVersion, a.at),
    auditStmt(db, { id: `audit:${a.id}`, action: "adjust", customerId: a.customerId, points: a.points, detail: a.reason, ledgerId: a.id, actor, at: a.at }),
  ];
}

export interface AuditEntry {
  id: string;
  action: "adjust" | "redeem";
  customerId: string;
  points: number;
  detail: string | null;
  ledgerId: string;
  actor: string;
  at: number;
}

/** An audit row, only if the ledger row it names exists with the same points (the action took effect). */
export function auditStmt(db: D1Database, e: AuditEntry): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO loyalty_audit (id, at, actor, action, customer_id, points, detail, ledger_id)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM loyalty_ledger WHERE id = ?8 AND customer_id = ?5 AND points = ?6)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(e.id, e.at, e.actor, e.action, e.customerId, e.points, e.detail, e.ledgerId);
}

export function ledgerEntryStmt(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare(`SELECT customer_id AS customerId, points, reason, at FROM loyalty_ledger WHERE id = ?`).bind(id);
}

export interface AuditRow {
  id: string;
  at: number;
  actor: string;
  kind: "adjust" | "redeem" | "claim.approve" | "claim.reject";
  customerId: string;
  name: string | null;
  points: number;
  detail: string | null;
}

/** The latest manager actions, claim decisions included (their actor lives on the claim), newest first. */
export async function listAudit(db: D1Database, limit: number, customerId: string | null = null): Promise<AuditRow[]> {
  const { results } = await db
    .prepare(
      `SELECT a.*, c.name FROM (
         SELECT id, at, actor, action AS kind, customer_id AS customerId, points, detail FROM loyalty_audit WHERE ?2 IS NULL OR customer_id = ?2
         UNION ALL
         SELECT m.id, m.decided_at, m.decided_by, 'claim.' || CASE m.status WHEN 'approved' THEN 'approve' ELSE 'reject' END, m.customer_id,
           COALESCE((SELECT points FROM loyalty_ledger WHERE id = m.ledger_id), 0), COALESCE(m.reason, m.kind || ' ' || m.url)
         FROM member_claims m WHERE m.status != 'pending' AND m.decided_at IS NOT NULL AND (?2 IS NULL OR m.customer_id = ?2)
       ) a LEFT JOIN customers c ON c.id = a.customerId ORDER BY a.at DESC, a.id LIMIT ?1`,
    )
    .bind(limit, customerId)
    .all<AuditRow>();
  return results;
}

export interface Funnels {
  referral: { enrolled: number; withCode: number; clicks: number; signups: number; rewarded: number };
  redemptions: { rewardId: string; count: number; points: number }[];
}

/** Enrolled members → with a referral code → link clicks → referred sign-ups → rewarded referrals; redemptions per reward. */
export async function loyaltyFunnels(db: D1Database): Promise<Funnels> {
  const [counts, redemptions] = await db.batch<Record<string, unknown>>([
    db.prepare(
      `SELECT (SELECT COUNT(*) FROM loyalty_members) AS enrolled, (SELECT COUNT(*) FROM referral_codes WHERE referrer_id IN (SELECT customer_id FROM loyalty_members)) AS withCode,
         (SELECT COALESCE(SUM(clicks), 0) FROM referral_clicks) AS clicks,
         (SELECT COUNT(*) FROM referrals) AS signups, (SELECT COUNT(*) FROM referrals WHERE status = 'paid') AS rewarded`,
    ),
    db.prepare(
      `SELECT COALESCE(ref, '(points)') AS rewardId, COUNT(*) AS count, -SUM(points) AS points FROM loyalty_ledger
       WHERE entry = 'points.redeemed' GROUP BY COALESCE(ref, '(points)') ORDER BY count DESC, rewardId`,
    ),
  ]);
  return {
    referral: counts!.results[0] as Funnels["referral"],
    redemptions: redemptions!.results as Funnels["redemptions"],
  };
}
