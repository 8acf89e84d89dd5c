import type { TenureConfig } from "../core/config";
import { buildBadges, buildWaysToEarn, referralLink, rewardsFor } from "../core/member";
import { codeEligible } from "../core/rewards/codes";
import { createReferralCode } from "../rewards/referrals";
import { codeOf } from "../store/loyalty";
import { memberTotals, type MemberAccount } from "../store/member";

/** GET /member/me: the member's account, points, badges, referral link and what they can earn and redeem. */

/**
 * The account's referral code. Every eligible customer of an enabled program gets one from the daily walk
 * (src/rewards/default-codes.ts), or from the step that made them eligible with referral.codeOnPaying
 * (src/loyalty.ts); one neither has made yet is created on the first look. `queued` names the new action.
 */
export async function ensureReferralCode(db: D1Database, cfg: TenureConfig, account: MemberAccount, now: number): Promise<{ code: string | null; queued: string[] }> {
  const existing = await codeOf(db, { referrerId: account.id });
  if (existing) return { code: existing.code, queued: [] };
  if (!codeEligible(cfg.rewards.referral, account.stage)) return { code: null, queued: [] };
  const { created, code } = await createReferralCode(db, cfg, account.id, now);
  return { code: code.code, queued: created ? [code.actionId] : [] };
}

export async function buildOverview(db: D1Database, cfg: TenureConfig, account: MemberAccount, baseUrl: string, now: number) {
  const { code, queued } = await ensureReferralCode(db, cfg, account, now);
  const t = await memberTotals(db, account.id, code);
  return {
    queued,
    body: {
      account: { id: account.id, name: account.name },
      points: { balance: t.balance, earned: t.earned, redeemed: t.redeemed },
      badges: buildBadges(t.badges, t.referralsPaid),
      referral: {
        code,
        link: code ? referralLink(baseUrl, code) : null,
        clicks: t.clicks,
        signups: t.signups,
        rewards: { pending: t.pending, paid: t.referralsPaid },
        credit: t.credit,
      },
      waysToEarn: buildWaysToEarn(cfg.rewards),
      rewards: rewardsFor(account.currency, cfg.rewards).map((r) => ({ ...r, affordable: r.points <= t.balance })),
    },
  };
}
