import { z } from "zod";
import { badgeNames, type Badge } from "./rewards/badges";
import type { CatalogueItem, RewardRules } from "./rewards/config";

/** What a program member sees and may do, decided from their token's claims and the program's rules. Pure. */

/** A member token may live at most this long (its `exp` at most this far ahead of the request). */
export const MEMBER_TOKEN_MAX_SECONDS = 24 * 3600;

export const accountClaimNames = ["account_id", "stripe_customer_id", "hubspot_company_id"] as const;
export type AccountClaimName = (typeof accountClaimNames)[number];

const claimValue = z.string().trim().min(1).max(200);

/** The claims Tenure reads from a verified member token (others are ignored). */
export const memberClaimsSchema = z.object({
  sub: claimValue,
  email: z.string().max(320).optional(),
  exp: z.number().int(),
  account_id: claimValue.optional(),
  stripe_customer_id: claimValue.optional(),
  hubspot_company_id: claimValue.optional(),
});
export type MemberClaims = z.infer<typeof memberClaimsSchema>;

export type AccountClaim = { name: AccountClaimName; value: string };

export type ClaimsCheck = { ok: true; account: AccountClaim } | { ok: false; reason: "too_long_lived" | "no_account_claim" | "several_account_claims" };

/** The token's one account claim, provided its lifetime is within the limit (`now` in seconds). */
export function checkMemberClaims(claims: MemberClaims, nowSeconds: number): ClaimsCheck {
  if (claims.exp - nowSeconds > MEMBER_TOKEN_MAX_SECONDS) return { ok: false, reason: "too_long_lived" };
  const present = accountClaimNames.filter((n) => claims[n] !== undefined);
  if (present.length === 0) return { ok: false, reason: "no_account_claim" };
  if (present.length > 1) return { ok: false, reason: "several_account_claims" };
  return { ok: true, account: { name: present[0]!, value: claims[present[0]!]! } };
}

export const claimKinds = ["review", "social_share"] as const;
export type ClaimKind = (typeof claimKinds)[number];

/** The earn rule a claim's points come from. */
export const earnKindOfClaim: Record<ClaimKind, string> = { review: "review_submitted", social_share: "social_share" };

const EARN_LABELS: Record<string, string> = {
  referral_qualified: "Refer a friend who subscribes",
  review_submitted: "Write a review",
  social_share: "Share us on social media",
  onboarding_completed: "Complete onboarding in your first day",
  renewal: "Renew your subscription",
  anniversary: "Celebrate a year with us",
  birthday: "Your birthday",
};

export interface WayToEarn {
  kind: string;
  label: string;
  points: number;
  /** A claim (POST /member/claims) with this kind earns it once approved. */
  claim: ClaimKind | null;
}

/** The earn rules with points, in descending value. */
export function buildWaysToEarn(rules: RewardRules): WayToEarn[] {
  const claimOf = new Map(Object.entries(earnKindOfClaim).map(([claim, kind]) => [kind, claim as ClaimKind]));
  return Object.entries(rules.points.earn)
    .filter(([, points]) => points > 0)
    .map(([kind, points]) => ({ kind, label: EARN_LABELS[kind] ?? kind.replaceAll("_", " "), points, claim: claimOf.get(kind) ?? null }))
    .sort((a, b) => b.points - a.points || a.kind.localeCompare(b.kind));
}

const BADGE_LABELS: Record<Badge, string> = {
  first_referral: "First referral",
  five_referrals: "Five referrals",
  one_year: "One year with us",
  power_user: "Power user",
};

export interface BadgeView {
  id: Badge;
  name: string;
  earned: boolean;
  /** Toward the badge, when it is counted (referral badges); null otherwise. */
  progress: { current: number; target: number } | null;
}

/** Every badge, earned or not, with progress where it is a count. */
export function buildBadges(held: readonly string[], referralsPaid: number): BadgeView[] {
  const targets: Partial<Record<Badge, number>> = { first_referral: 1, five_referrals: 5 };
  return badgeNames.map((id) => {
    const target = targets[id];
    const earned = held.includes(id);
    return { id, name: BADGE_LABELS[id], earned, progress: target === undefined ? null : { current: Math.min(earned ? target : referralsPaid, target), target } };
  });
}

/** The catalogue items a member can redeem: those in their account's currency (all when it is not known yet). */
export function rewardsFor(currency: string | null, rules: RewardRules): CatalogueItem[] {
  const cur = currency?.toLowerCase() ?? null;
  return rules.catalogue.filter((r) => cur === null || r.credit.currency === cur);
}

export type RewardChoice = { ok: true; item: CatalogueItem } | { ok: false; status: 404 | 422; code: string; message: string };

/** The catalogue item a redemption asks for, if this account can take it. */
export function chooseReward(rewardId: string, currency: string | null, rules: RewardRules): RewardChoice {
  const item = rules.catalogue.find((r) => r.id === rewardId);
  if (!item) return { ok: false, status: 404, code: "not_found", message: `Reward ${rewardId} not found` };
  if (!currency) return { ok: false, status: 422, code: "currency_unknown", message: "This account has no billing currency yet, so no credit can be issued." };
  if (item.credit.currency !== currency.toLowerCase()) {
    return { ok: false, status: 422, code: "currency_mismatch", message: `Reward ${rewardId} is a ${item.credit.currency} credit; this account is billed in ${currency.toLowerCase()}.` };
  }
  return { ok: true, item };
}

/** The public link of a referral code. */
export function referralLink(baseUrl: string, code: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/r/${encodeURIComponent(code)}`;
}

/** Where a referral link lands: the configured page with the code as `ref` and as the Checkout `client_reference_id` hint. */
export function referralLanding(landingUrl: string, code: string): string {
  const url = new URL(landingUrl);
  url.searchParams.set("ref", code);
  url.searchParams.set("client_reference_id", code);
  return url.toString();
}

/** The UTC day (`yyyy-mm-dd`) a click is counted under. */
export function clickDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Referral codes are upper-case letters, digits and dashes (see referralCodeFor); anything else is not a code. */
export function normalizeCode(raw: string): string | null {
  const code = raw.trim().toUpperCase();
  return /^[A-Z0-9-]{1,40}$/.test(code) ? code : null;
}
