import type { AccountClaim } from "../core/member";

/** SQL of the member API: the account a token names, the member's totals and history, referral link clicks. */

export interface MemberAccount {
  id: string;
  name: string | null;
  currency: string | null;
  stage: string | null;
  stripeCustomerId: string | null;
}

type AccountRaw = { id: string; name: string | null; currency: string | null; profile_currency: string | null; stage: string | null; stripe: string | null };

const KIND_OF_CLAIM: Record<AccountClaim["name"], string> = { account_id: "account", stripe_customer_id: "stripe", hubspot_company_id: "hubspot" };

/**
 * The customer a token's account claim names: `account_id` is Tenure's customer id (or an `account_id` the
 * customer was linked by); the vendor ids go through the identity table.
 */
export async function resolveAccount(db: D1Database, claim: AccountClaim): Promise<MemberAccount | null> {
  const r = await db
    .prepare(
      `SELECT c.id, c.name, c.currency, json_extract(c.state, '$.profile.currency') AS profile_currency, c.stage,
         (SELECT value FROM identities WHERE customer_id = c.id AND kind = 'stripe' ORDER BY created_at LIMIT 1) AS stripe
       FROM customers c
       WHERE c.id = (SELECT customer_id FROM identities WHERE kind = ?1 AND value = ?2)
          OR (?1 = 'account' AND c.id = ?2)
       LIMIT 1`,
    )
    .bind(KIND_OF_CLAIM[claim.name], claim.value)
    .first<AccountRaw>();
  if (!r) return null;
  return { id: r.id, name: r.name, currency: (r.currency ?? r.profile_currency)?.toLowerCase() ?? null, stage: r.stage, stripeCustomerId: r.stripe };
}

type Sums = Record<string, number>;

export interface MemberTotals {
  balance: number;
  earned: number;
  redeemed: number;
  badges: string[];
  referralsPaid: number;
  signups: number;
  pending: number;
  credit: { pending: Sums; paid: Sums };
  clicks: number;
}

/** Points, badges, referral counts and link clicks of one customer, in one round trip. */
export async function memberTotals(db: D1Database, customerId: string, code: string | null): Promise<MemberTotals> {
  const [points, badges, referrals, credits, clicks] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT COALESCE(SUM(points), 0) AS balance, COALESCE(SUM(CASE WHEN points > 0 THEN points END), 0) AS earned,
           COALESCE(-SUM(CASE WHEN entry = 'points.redeemed' THEN points END), 0) AS redeemed
         FROM loyalty_ledger WHERE customer_id = ?`,
      )
      .bind(customerId),
    db.prepare(`SELECT kind FROM loyalty_ledger WHERE customer_id = ? AND entry = 'badge.awarded' ORDER BY at`).bind(customerId),
    db
      .prepare(
        `SELECT COUNT(*) AS signups, COALESCE(SUM(status = 'paid'), 0) AS paid, COALESCE(SUM(status IN ('pending', 'held')), 0) AS pending
         FROM referrals WHERE referrer_id = ? AND status != 'refused'`,
      )
      .bind(customerId),
    db
      .prepare(
        `SELECT CASE WHEN status = 'paid' THEN 'paid' ELSE 'pending' END AS bucket, currency, SUM(reward_amount) AS total FROM referrals
         WHERE referrer_id = ? AND status IN ('pending', 'held', 'paid') AND currency IS NOT NULL GROUP BY bucket, currency`,
      )
      .bind(customerId),
    db.prepare(`SELECT COALESCE(SUM(clicks), 0) AS clicks FROM referral_clicks WHERE code = ?`).bind(code),
  ]);
  const p = points!.results[0] as { balance: number; earned: number; redeemed: number };
  const r = referrals!.results[0] as { signups: number; paid: number; pending: number };
  const credit: { pending: Sums; paid: Sums } = { pending: {}, paid: {} };
  for (const row of credits!.results as { bucket: "paid" | "pending"; currency: string; total: number }[]) credit[row.bucket][row.currency] = row.total;
  return {
    balance: p.balance,
    earned: p.earned,
    redeemed: p.redeemed,
    badges: (badges!.results as { kind: string }[]).map((b) => b.kind),
    referralsPaid: r.paid,
    signups: r.signups,
    pending: r.pending,
    credit,
    clicks: (clicks!.results[0] as { clicks: number }).clicks,
  };
}

export interface HistoryEntry {
  id: string;
  entry: string;
  kind: string | null;
  points: number;
  amount: number | null;
  currency: string | null;
  at: number;
}

/**
 * Ledger entries a member sees: what they earned, spent, were credited or lost. The program's own decisions
 * (attributions, refusals and their fraud reasons, holds) stay with the program manager.
 */
export const MEMBER_VISIBLE_ENTRIES = ["points.earned", "points.redeemed", "points.reversed", "points.adjusted", "badge.awarded", "referral.paid", "referral.clawed_back", "referral.friend_reward", "occasion.credit"];

/** The member's ledger, newest first, in keyset pages (`after` is the last row's `at` and `id`). */
export async function memberHistory(db: D1Database, customerId: string, limit: number, after: { at: number; id: string } | null): Promise<HistoryEntry[]> {
  const { results } = await db
    .prepare(
      `SELECT id, entry, kind, points, amount, currency, at FROM loyalty_ledger
       WHERE customer_id = ?1 AND entry IN (SELECT value FROM json_each(?5))
         AND (?2 IS NULL OR at < ?2 OR (at = ?2 AND id > ?3))
       ORDER BY at DESC, id LIMIT ?4`,
    )
    .bind(customerId, after?.at ?? null, after?.id ?? "", limit, JSON.stringify(MEMBER_VISIBLE_ENTRIES))
    .all<HistoryEntry>();
  return results;
}

/** The referrer owning a code (upper case), or null. */
export async function codeReferrer(db: D1Database, code: string): Promise<string | null> {
  const r = await db.prepare(`SELECT referrer_id FROM referral_codes WHERE code = ?`).bind(code).first<{ referrer_id: string }>();
  return r?.referrer_id ?? null;
}

/** Counts a click in the code's counter for the day: one row per code and day, however many clicks. */
export function countClickStmt(db: D1Database, code: string, day: string): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO referral_clicks (code, day, clicks) VALUES (?, ?, 1) ON CONFLICT (code, day) DO UPDATE SET clicks = clicks + 1`)
    .bind(code, day);
}
