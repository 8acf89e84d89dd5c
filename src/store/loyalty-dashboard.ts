import type { LoyaltyData } from "../core/metrics";

/**
 * Read-only view of the loyalty program's tables for metrics and the dashboard. The tables come from a
 * later migration, so every read first checks sqlite_master and returns null while they are absent.
 */

export const LOYALTY_TABLES = { members: "loyalty_members", ledger: "loyalty_ledger", referrals: "referrals" } as const;

type ReferralRow = { referrer_id: string; referred_id: string; at: number; status: string };

export async function existingTables(db: D1Database, names: readonly string[]): Promise<Set<string>> {
  const { results } = await db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(names))
    .all<{ name: string }>();
  return new Set(results.map((r) => r.name));
}

export async function hasLoyaltyTables(db: D1Database): Promise<boolean> {
  return (await existingTables(db, Object.values(LOYALTY_TABLES))).size === Object.values(LOYALTY_TABLES).length;
}

export async function loadLoyalty(db: D1Database): Promise<LoyaltyData | null> {
  if (!(await hasLoyaltyTables(db))) return null;
  const T = LOYALTY_TABLES;
  const [members, ledger, referrals] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT customer_id, enrolled_at AS at FROM ${T.members}`),
    db.prepare(`SELECT customer_id, points, at FROM ${T.ledger} WHERE points <> 0`),
    db.prepare(`SELECT referrer_id, referred_id, attributed_at AS at, status FROM ${T.referrals}`),
  ]);
  return {
    enrollments: (members!.results as { customer_id: string; at: number }[]).map((r) => ({ customerId: r.customer_id, at: r.at })),
    ledger: (ledger!.results as { customer_id: string; points: number; at: number }[]).map((r) => ({ customerId: r.customer_id, points: r.points, at: r.at })),
    referrals: (referrals!.results as ReferralRow[]).map((r) => ({ referrerId: r.referrer_id, referredId: r.referred_id, at: r.at, status: r.status })),
  };
}

export interface LedgerRow {
  id: string;
  customerId: string;
  name: string | null;
  entry: string;
  kind: string | null;
  points: number;
  amount: number | null;
  currency: string | null;
  reason: string | null;
  at: number;
}

export interface ReferralListRow {
  referrerId: string;
  referrerName: string | null;
  referredId: string;
  referredName: string | null;
  status: string;
  source: string;
  attributedAt: number;
  rewardAmount: number | null;
  currency: string | null;
}

const ledgerSql = `SELECT l.id, l.customer_id AS customerId, c.name, l.entry, l.kind, l.points, l.amount, l.currency, l.reason, l.at
  FROM loyalty_ledger l LEFT JOIN customers c ON c.id = l.customer_id`;
const referralSql = `SELECT r.referrer_id AS referrerId, a.name AS referrerName, r.referred_id AS referredId, b.name AS referredName, r.status, r.source,
    r.attributed_at AS attributedAt, r.reward_amount AS rewardAmount, r.currency
  FROM referrals r LEFT JOIN customers a ON a.id = r.referrer_id LEFT JOIN customers b ON b.id = r.referred_id`;

/** The program page: points leaderboard, latest referrals and ledger rows. Null without loyalty tables. */
export async function loyaltyOverview(db: D1Database, limit = 50) {
  if (!(await hasLoyaltyTables(db))) return null;
  const [leaders, referrals, ledger, members] = await db.batch<Record<string, unknown>>([
    db.prepare(
      `SELECT l.customer_id AS customerId, c.name, SUM(CASE WHEN l.points > 0 THEN l.points ELSE 0 END) AS earned, SUM(l.points) AS balance
       FROM loyalty_ledger l LEFT JOIN customers c ON c.id = l.customer_id GROUP BY l.customer_id HAVING earned > 0 ORDER BY balance DESC, earned DESC, l.customer_id LIMIT ?`,
    ).bind(limit),
    db.prepare(`${referralSql} ORDER BY r.attributed_at DESC LIMIT ?`).bind(limit),
    db.prepare(`${ledgerSql} ORDER BY l.at DESC, l.id LIMIT ?`).bind(limit),
    db.prepare(`SELECT COUNT(*) AS n FROM loyalty_members`),
  ]);
  return {
    leaderboard: leaders!.results as { customerId: string; name: string | null; earned: number; balance: number }[],
    referrals: referrals!.results as unknown as ReferralListRow[],
    ledger: ledger!.results as unknown as LedgerRow[],
    members: Number((members!.results[0] as { n: number }).n),
  };
}

/** One customer's rewards: membership, balance, ledger, and the referrals they made. Null without loyalty tables. */
export async function customerRewards(db: D1Database, customerId: string, limit = 50) {
  if (!(await hasLoyaltyTables(db))) return null;
  const [member, balance, ledger, referrals] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT enrolled_at AS enrolledAt, via FROM loyalty_members WHERE customer_id = ?`).bind(customerId),
    db.prepare(`SELECT COALESCE(SUM(points), 0) AS balance FROM loyalty_ledger WHERE customer_id = ?`).bind(customerId),
    db.prepare(`${ledgerSql} WHERE l.customer_id = ? ORDER BY l.at DESC, l.id LIMIT ?`).bind(customerId, limit),
    db.prepare(`${referralSql} WHERE r.referrer_id = ? OR r.referred_id = ? ORDER BY r.attributed_at DESC LIMIT ?`).bind(customerId, customerId, limit),
  ]);
  return {
    member: (member!.results[0] as { enrolledAt: number; via: string } | undefined) ?? null,
    balance: Number((balance!.results[0] as { balance: number }).balance),
    ledger: ledger!.results as unknown as LedgerRow[],
    referrals: referrals!.results as unknown as ReferralListRow[],
  };
}
