import type { RewardRules } from "./config";
import { ledgerEntry, rewardIds, type LedgerEntry } from "./ledger";

/** Milestone badges, each awarded once (the ledger id is per customer and badge). Pure. */

export const badgeNames = ["first_referral", "five_referrals", "one_year", "power_user"] as const;
export type Badge = (typeof badgeNames)[number];

const DAY = 86_400_000;

export interface BadgeFacts {
  /** Referrals that paid out. */
  referralsPaid: number;
  /** First purchase, for the anniversary badge. */
  customerSince: number | null;
  churned: boolean;
  segments: readonly string[];
  now: number;
}

export function badgesEarned(f: BadgeFacts, rules: RewardRules): Badge[] {
  const out: Badge[] = [];
  if (f.referralsPaid >= 1) out.push("first_referral");
  if (f.referralsPaid >= 5) out.push("five_referrals");
  if (f.customerSince !== null && !f.churned && f.now - f.customerSince >= rules.badges.anniversaryDays * DAY) out.push("one_year");
  if (f.segments.includes(rules.badges.powerUserSegment)) out.push("power_user");
  return out;
}

/** Ledger rows for badges earned and not yet held. */
export function newBadges(customerId: string, facts: BadgeFacts, have: readonly string[], rules: RewardRules): LedgerEntry[] {
  return badgesEarned(facts, rules)
    .filter((b) => !have.includes(b))
    .map((b) => ledgerEntry({ id: rewardIds.badge(customerId, b), customerId, entry: "badge.awarded", kind: b, at: facts.now }));
}
