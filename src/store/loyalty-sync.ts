import { HUBSPOT_PROPERTIES } from "../core/plan";

/**
 * The HubSpot loyalty properties of a customer's companies: balance, referrals, referral code and link, and
 * the last thing that happened in the program (text and time), so a HubSpot workflow can email from them.
 */

export const loyaltySyncId = (companyId: string) => `hubspot.properties:${companyId}:loyalty`;

/** Ledger entries a member would call news: what they earned, were credited, spent or were awarded. */
export const NEWS_ENTRIES = ["points.earned", "points.redeemed", "badge.awarded", "referral.paid", "referral.friend_reward", "occasion.credit"];

/** `12.50 USD` from a ledger row's minor units (two decimals, the program's currencies). */
const MONEY = `printf('%.2f %s', l.amount / 100.0, upper(l.currency))`;
const KIND = `replace(COALESCE(l.kind, ''), '_', ' ')`;

/** One line a person reads, per news entry. */
const NEWS_TEXT = `CASE l.entry
  WHEN 'points.earned' THEN printf('Earned %d points: %s', l.points, ${KIND})
  WHEN 'points.redeemed' THEN printf('Redeemed %d points', -l.points) || CASE WHEN l.amount IS NOT NULL THEN ' for ' || ${MONEY} || ' credit' ELSE '' END
  WHEN 'badge.awarded' THEN 'Badge earned: ' || ${KIND}
  WHEN 'referral.paid' THEN 'Referral reward credited' || CASE WHEN l.amount IS NOT NULL THEN ': ' || ${MONEY} ELSE '' END
  WHEN 'referral.friend_reward' THEN 'Welcome credit' || CASE WHEN l.amount IS NOT NULL THEN ': ' || ${MONEY} ELSE '' END
  ELSE 'Occasion credit (' || ${KIND} || ')' || CASE WHEN l.amount IS NOT NULL THEN ': ' || ${MONEY} ELSE '' END
END`;

/**
 * Refreshes the HubSpot loyalty properties of a customer's companies. The values are computed by the
 * statement itself, at commit, so concurrent writers (a redemption, a payout) can never leave a stale total.
 * `linkBase` is `referral.linkBase`; without it the link is left empty (a link needs the public origin).
 */
export function loyaltySyncStmt(
  db: D1Database,
  customerId: string,
  companyIds: readonly string[],
  now: number,
  linkBase: string | undefined,
  delayMs = 0,
): D1PreparedStatement {
  const P = HUBSPOT_PROPERTIES;
  return db
    .prepare(
      `WITH code AS (SELECT code FROM referral_codes WHERE referrer_id = ?1),
         news AS (SELECT ${NEWS_TEXT} AS text, l.at FROM loyalty_ledger l
                  WHERE l.customer_id = ?1 AND l.entry IN (SELECT value FROM json_each(?6)) ORDER BY l.at DESC, l.id DESC LIMIT 1)
       INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT 'hubspot.properties:' || co.value || ':loyalty', ?1, 'hubspot', 'hubspot.properties',
         json_object('type', 'hubspot.properties', 'companyId', co.value, 'properties', json_object(
           '${P.points}', CAST((SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger WHERE customer_id = ?1) AS TEXT),
           '${P.referrals}', CAST((SELECT COUNT(*) FROM referrals WHERE referrer_id = ?1 AND status IN ('pending', 'held', 'paid')) AS TEXT),
           '${P.referralCode}', COALESCE((SELECT code FROM code), ''),
           '${P.referralLink}', CASE WHEN ?5 IS NULL THEN '' ELSE COALESCE((SELECT ?5 || '/r/' || code FROM code), '') END,
           '${P.lastReward}', COALESCE((SELECT text FROM news), ''),
           '${P.lastRewardAt}', COALESCE((SELECT CAST(at AS TEXT) FROM news), ''))),
         'pending', 0, ?2 + ?4, ?2, ?2
       FROM (SELECT value FROM identities WHERE customer_id = ?1 AND kind = 'hubspot' UNION SELECT value FROM json_each(?3)) co WHERE true
       ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at,
         status = 'pending', attempts = CASE WHEN outbox.status = 'pending' THEN outbox.attempts ELSE 0 END,
         next_attempt_at = CASE WHEN outbox.status = 'pending' THEN outbox.next_attempt_at ELSE excluded.next_attempt_at END,
         last_error = CASE WHEN outbox.status = 'pending' THEN outbox.last_error END`,
    )
    .bind(customerId, now, JSON.stringify(companyIds), delayMs, linkBase ?? null, JSON.stringify(NEWS_ENTRIES));
}
