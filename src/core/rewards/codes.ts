import type { Action } from "../actions";
import type { ReferralRules } from "./config";
import { referralCodeFor, rewardIds } from "./ledger";

/**
 * Who has a referral code by default, and the code each of them gets. Pure: the code is derived from the
 * customer id, so a retried step or a second daily run names the same code and the same Stripe action.
 */

/** Lifecycle stages of a customer who pays (a churned customer no longer does). */
export const PAYING_STAGES: readonly string[] = ["purchase", "onboarding", "renewal", "loyalty"];

/** Whether a customer at `stage` gets a referral code without asking (`referral.eligible`). */
export function codeEligible(rules: ReferralRules, stage: string | null | undefined): boolean {
  if (!rules.enabled) return false;
  if (rules.eligible === "all") return stage !== "churned";
  return PAYING_STAGES.includes(stage ?? "");
}

export interface NewReferralCode {
  code: string;
  /** Creates the Stripe promotion code (first-time customers only) on the referral coupon. */
  action: Action;
}

export function buildReferralCode(customerId: string, rules: ReferralRules): NewReferralCode {
  const code = referralCodeFor(customerId, rules.codePrefix);
  return {
    code,
    action: {
      id: rewardIds.promotionCode(customerId),
      customerId,
      payload: { type: "stripe.promotion_code", coupon: rules.coupon, code, metadata: { tenure_referrer: customerId, tenure_code: code } },
    },
  };
}
