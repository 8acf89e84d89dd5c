import { CONVERTED } from "../core/rewards";
import { codeOf, toReferral } from "./loyalty";

/** Read models of the loyalty program: per-referrer metrics, leaderboards, the program summary. */

type Sums = Record<string, number>;

const inList = (xs: readonly string[]) => `(${xs.map((x) => `'${x}'`).join(", ")})`;
const CONVERTED_SQL = inList(CONVERTED);

function sums(rows: { currency: string | null; total: number }[]): Sums {
  return Object.fromEntries(rows.filter((r) => r.currency).map((r) => [r.currency!, r.total]));
}

/** Invites, conversions and credits (paid, held, pending, clawed back) of one referrer. */
export async function referralMetrics(db: D1Database, referrerId: string, limit = 100) {
  const [statuses, paid, clawed, held, pending, rows] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT status, COUNT(*) AS n FROM referrals WHERE referrer_id = ? GROUP BY status`).bind(referrerId),
    db.prepare(`SELECT currency, SUM(amount) AS total FROM loyalty_ledger WHERE customer_id = ? AND entry = 'referral.paid' GROUP BY currency`).bind(referrerId),
    db.prepare(`SELECT currency, -SUM(amount) AS total FROM loyalty_ledger WHERE customer_id = ? AND entry = 'referral.clawed_back' GROUP BY currency`).bind(referrerId),
    db.prepare(`SELECT currency, SUM(reward_amount) AS total FROM referrals WHERE referrer_id = ? AND status = 'held' GROUP BY currency`).bind(referrerId),
    db.prepare(`SELECT currency, SUM(reward_amount) AS total FROM referrals WHERE referrer_id = ? AND status = 'pending' GROUP BY currency`).bind(referrerId),
    db.prepare(`SELECT * FROM referrals WHERE referrer_id = ? ORDER BY attributed_at DESC LIMIT ?`).bind(referrerId, limit),
  ]);
  const byStatus = Object.fromEntries((statuses!.results as { status: string; n: number }[]).map((r) => [r.status, r.n]));
  const code = await codeOf(db, { referrerId });
  const attributions = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    referrerId,
    code,
    invites: { codes: code ? 1 : 0, attributions },
    conversions: CONVERTED.reduce((n, s) => n + (byStatus[s] ?? 0), 0),
    byStatus,
    credits: {
      paid: sums(paid!.results as never),
      held: sums(held!.results as never),
      pending: sums(pending!.results as never),
      clawedBack: sums(clawed!.results as never),
    },
    referrals: (rows!.results as never[]).map(toReferral),
  };
}

/** Every referrer with their attributions and conversions, most conversions first. */
export async function referrersOverview(db: D1Database, limit = 100) {
  const { results } = await db
    .prepare(
      `SELECT r.referrer_id AS referrerId, c.name, COUNT(*) AS attributions, SUM(CASE WHEN r.status IN ${CONVERTED_SQL} THEN 1 ELSE 0 END) AS conversions,
         SUM(CASE WHEN r.status = 'paid' THEN 1 ELSE 0 END) AS paid, SUM(CASE WHEN r.status = 'held' THEN 1 ELSE 0 END) AS held,
         SUM(CASE WHEN r.status = 'clawed_back' THEN 1 ELSE 0 END) AS clawedBack, SUM(CASE WHEN r.status = 'refused' THEN 1 ELSE 0 END) AS refused
       FROM referrals r LEFT JOIN customers c ON c.id = r.referrer_id GROUP BY r.referrer_id ORDER BY conversions DESC, r.referrer_id LIMIT ?`,
    )
    .bind(limit)
    .all();
  return results;
}

/** Top referrers (qualified referrals) and top point earners since `since`. */
export async function leaderboard(db: D1Database, since: number, limit: number) {
  const [referrers, points] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT r.referrer_id AS customerId, c.name, COUNT(*) AS referrals FROM referrals r LEFT JOIN customers c ON c.id = r.referrer_id
         WHERE r.status IN ('pending', 'held', 'paid') AND r.qualified_at >= ? GROUP BY r.referrer_id ORDER BY referrals DESC, r.referrer_id LIMIT ?`,
      )
      .bind(since, limit),
    db
      .prepare(
        `SELECT l.customer_id AS customerId, c.name, SUM(CASE WHEN l.points > 0 AND l.at >= ?1 THEN l.points ELSE 0 END) AS earned, SUM(l.points) AS balance
         FROM loyalty_ledger l LEFT JOIN customers c ON c.id = l.customer_id GROUP BY l.customer_id HAVING earned > 0
         ORDER BY earned DESC, l.customer_id LIMIT ?2`,
      )
      .bind(since, limit),
  ]);
  return { referrers: referrers!.results, points: points!.results };
}

/** Program-wide counts: enrollment (and its rate), points, referrals, credits, badges. */
export async function loyaltySummary(db: D1Database) {
  const [customers, members, points, referrals, credits, badges] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT COUNT(*) AS n FROM customers`),
    db.prepare(`SELECT via, COUNT(*) AS n FROM loyalty_members GROUP BY via`),
    db.prepare(
      `SELECT COALESCE(SUM(CASE WHEN points > 0 THEN points END), 0) AS issued, COALESCE(-SUM(CASE WHEN entry = 'points.redeemed' THEN points END), 0) AS redeemed,
         COALESCE(-SUM(CASE WHEN entry = 'points.reversed' THEN points END), 0) AS reversed, COALESCE(SUM(points), 0) AS outstanding FROM loyalty_ledger`,
    ),
    db.prepare(`SELECT status, COUNT(*) AS n FROM referrals GROUP BY status`),
    db.prepare(`SELECT entry, currency, SUM(amount) AS total FROM loyalty_ledger WHERE amount IS NOT NULL AND currency IS NOT NULL GROUP BY entry, currency`),
    db.prepare(`SELECT kind, COUNT(*) AS n FROM loyalty_ledger WHERE entry = 'badge.awarded' GROUP BY kind`),
  ]);
  const total = (customers!.results[0] as { n: number }).n;
  const via = Object.fromEntries((members!.results as { via: string; n: number }[]).map((r) => [r.via, r.n]));
  const enrolled = Object.values(via).reduce((a, b) => a + b, 0);
  const creditMap: Record<string, Sums> = {};
  for (const r of credits!.results as { entry: string; currency: string; total: number }[]) (creditMap[r.entry] ??= {})[r.currency] = r.total;
  return {
    enrollment: { customers: total, enrolled, rate: total === 0 ? null : Math.round((enrolled / total) * 1000) / 10, via },
    points: points!.results[0],
    referrals: Object.fromEntries((referrals!.results as { status: string; n: number }[]).map((r) => [r.status, r.n])),
    credits: creditMap,
    badges: Object.fromEntries((badges!.results as { kind: string; n: number }[]).map((r) => [r.kind, r.n])),
  };
}

/** One customer's place in the program: balance, enrollment, badges, code, recent ledger; null for no such customer. */
export async function customerLoyalty(db: D1Database, customerId: string, limit = 100) {
  const [exists, balance, memberRow, badges, ledger] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT 1 AS found FROM customers WHERE id = ?`).bind(customerId),
    db.prepare(`SELECT COALESCE(SUM(points), 0) AS points FROM loyalty_ledger WHERE customer_id = ?`).bind(customerId),
    db.prepare(`SELECT enrolled_at AS enrolledAt, via FROM loyalty_members WHERE customer_id = ?`).bind(customerId),
    db.prepare(`SELECT kind FROM loyalty_ledger WHERE customer_id = ? AND entry = 'badge.awarded' ORDER BY at, kind`).bind(customerId),
    db
      .prepare(
        `SELECT id, entry, kind, points, amount, currency, ref, reason, action_id AS actionId, rules_version AS rulesVersion, at FROM loyalty_ledger
         WHERE customer_id = ? ORDER BY at DESC, id LIMIT ?`,
      )
      .bind(customerId, limit),
  ]);
  if (exists!.results.length === 0) return null;
  return {
    customerId,
    points: (balance!.results[0] as { points: number }).points,
    member: memberRow!.results[0] ?? null,
    badges: (badges!.results as { kind: string }[]).map((r) => r.kind),
    code: await codeOf(db, { referrerId: customerId }),
    ledger: ledger!.results,
  };
}
