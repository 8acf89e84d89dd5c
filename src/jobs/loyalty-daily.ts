import type { TenureConfig } from "../core/config";
import type { Env } from "../env";
import { releaseDueRewardsPage, runOccasionsPage } from "../rewards/daily";
import { fillReferralCodesPage } from "../rewards/default-codes";
import { enqueue } from "./enqueue";
import type { LoyaltyDailyJob } from "./messages";

/**
 * The loyalty program's daily work (src/rewards/daily.ts), one page per queue message: first the open
 * referrals past their hold, REFERRALS_PER_PAGE at a time (two D1 calls each at most), then every customer
 * for occasions, 100 at a time (three D1 calls), then every customer for a missing referral code, 100 at a time
 * (two D1 calls). Small pages keep an invocation that dies cheap to redo.
 */
export const REFERRALS_PER_PAGE = 10;

export interface LoyaltyPageResult {
  paid: number;
  held: number;
  occasions: number;
  codes: number;
  actionIds: string[];
  next: LoyaltyDailyJob | null;
}

export async function loyaltyDailyPage(env: Env, cfg: TenureConfig, job: LoyaltyDailyJob): Promise<LoyaltyPageResult> {
  const out: LoyaltyPageResult = { paid: 0, held: 0, occasions: 0, codes: 0, actionIds: [], next: null };
  if (job.phase === "referrals") {
    const page = await releaseDueRewardsPage(env.DB, cfg, job.asOf, job.after, REFERRALS_PER_PAGE);
    Object.assign(out, { paid: page.paid, held: page.held, actionIds: page.actionIds });
    out.next = page.next === null ? { ...job, phase: "occasions", after: "" } : { ...job, after: page.next };
  } else if (job.phase === "occasions") {
    const page = await runOccasionsPage(env.DB, cfg, job.asOf, job.after);
    Object.assign(out, { occasions: page.entries, actionIds: page.actionIds });
    out.next = page.next === null ? { ...job, phase: "codes", after: "" } : { ...job, after: page.next };
  } else {
    const page = await fillReferralCodesPage(env.DB, cfg, job.after, job.asOf);
    Object.assign(out, { codes: page.created.length, actionIds: page.actionIds });
    out.next = page.next === null ? null : { ...job, after: page.next };
  }
  await enqueue(env.ACTIONS, out.actionIds.map((actionId) => ({ actionId })));
  return out;
}
