import type { LoyaltyData } from "../core/metrics";

/**
 * Read-only view of the loyalty program's tables for metrics and the dashboard. The tables come from a
 * later migration, so every read first checks sqlite_master and returns null while they are absent.
 */

export const LOYALTY_TABLES = { members: "loyalty_members", ledger: "loyalty_ledger", referrals: "referrals" } as const;

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
    db.prepare(`SELECT customer_id, points, at FROM ${T.ledger}`),
    db.prepare(`SELECT referrer_customer_id, referred_customer_id, created_at AS at, status FROM ${T.referrals}`),
  ]);
  return {
    enrollments: (members!.results as { customer_id: string; at: number }[]).map((r) => ({ customerId: r.customer_id, at: r.at })),
    ledger: (ledger!.results as { customer_id: string; points: number; at: number }[]).map((r) => ({ customerId: r.customer_id, points: r.points, at: r.at })),
    referrals: (referrals!.results as { referrer_customer_id: string | null; referred_customer_id: string | null; at: number; status: string }[]).map((r) => ({
      referrerId: r.referrer_customer_id,
      referredId: r.referred_customer_id,
      at: r.at,
      status: r.status,
    })),
  };
}
