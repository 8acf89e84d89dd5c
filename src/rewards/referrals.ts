import type { TenureConfig } from "../core/config";
import { stageOf } from "../core/lifecycle";
import { planReferredSide, type Referral, type RewardPlan } from "../core/rewards";
import { buildReferralCode } from "../core/rewards/codes";
import { AppError, notFound } from "../errors";
import { planStmts } from "../loyalty";
import { codeOf, customerState, loadParties, loadReferral, loyaltySyncStmt, monthCounts, type CodeRow } from "../store/loyalty";
import { newCodeStmts } from "../store/loyalty-codes";

/** Referral codes and manual attribution (the admin API's side of the referral program). */

function requireProgram(cfg: TenureConfig): void {
  if (!cfg.rewards.referral.enabled) throw new AppError(409, "referrals_disabled", "The referral program is disabled (TENURE_CONFIG rewards.referral.enabled).");
}

/**
 * The customer's referral code, created once: a row mapping the code to its referrer, and an outbox
 * action creating the Stripe promotion code (first-time customers only) on the configured coupon.
 */
export async function createReferralCode(db: D1Database, cfg: TenureConfig, customerId: string, now: number): Promise<{ created: boolean; code: CodeRow }> {
  requireProgram(cfg);
  const existing = await codeOf(db, { referrerId: customerId });
  if (existing) return { created: false, code: existing };
  if (!(await customerState(db, customerId))) throw notFound(`Customer ${customerId}`);
  const { code, action } = buildReferralCode(customerId, cfg.rewards.referral);
  const taken = await codeOf(db, { code });
  if (taken && taken.referrerId !== customerId) throw new AppError(409, "code_collision", `The code ${code} already belongs to another customer.`);
  await db.batch([...newCodeStmts(db, customerId, code, action, now), loyaltySyncStmt(db, customerId, [], now, cfg.rewards.referral.linkBase)]);
  const row = await codeOf(db, { referrerId: customerId });
  return { created: true, code: row! };
}

/** POST /api/referrals: the same rules as a code seen at checkout, with the request time as attribution time. */
export async function attributeManually(
  db: D1Database,
  cfg: TenureConfig,
  referrerId: string,
  referredId: string,
  now: number,
): Promise<{ referral: Referral; actionIds: string[] }> {
  requireProgram(cfg);
  const existing = await loadReferral(db, referredId);
  if (existing) throw new AppError(409, "already_referred", `Customer ${referredId} was already referred by ${existing.referrerId}.`, { referral: existing });
  const [parties, friend, counts] = await Promise.all([loadParties(db, [referrerId, referredId]), customerState(db, referredId), monthCounts(db, [referrerId])]);
  const referrer = parties.get(referrerId);
  const referred = parties.get(referredId);
  if (!referrer) throw notFound(`Customer ${referrerId}`);
  if (!referred || !friend) throw notFound(`Customer ${referredId}`);
  const stage = stageOf(friend.state, now, cfg.lifecycle);
  const plan: RewardPlan = { referrals: [], ledger: [], actions: [], touched: [] };
  planReferredSide(
    {
      self: referred,
      state: friend.state,
      events: [],
      segments: friend.segments,
      onboarding: { purchasedAt: stage.onboarding.purchasedAt, onboardedAt: stage.onboarding.onboardedAt },
      churned: stage.stage === "churned",
      manual: { referrer, at: now },
      ctx: { asReferred: null, referrer: null, owners: new Map(), monthCounts: counts, asReferrer: [], referralsPaid: 0, badges: [] },
      rules: cfg.rewards,
      freeMail: new Set(cfg.identity.freeMailDomains),
      now,
    },
    plan,
  );
  const written = plan.referrals[0]?.after;
  if (!written) throw new AppError(500, "not_attributed", "The referral could not be decided.");
  try {
    await db.batch([...planStmts(db, plan, cfg.rewards.version, now), loyaltySyncStmt(db, referrerId, [], now, cfg.rewards.referral.linkBase)]);
  } catch {
    const now2 = await loadReferral(db, referredId);
    throw new AppError(409, "already_referred", `Customer ${referredId} was referred concurrently.`, { referral: now2 });
  }
  return { referral: (await loadReferral(db, referredId)) ?? written, actionIds: plan.actions.map((a) => a.id) };
}
