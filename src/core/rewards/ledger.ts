import { isoTime } from "../time";

/**
 * Tenure's own record of every loyalty decision. Ids are deterministic (derived from the business fact),
 * so a replayed decision inserts nothing; a row that moves money names the outbox action that moves it.
 */

export const ledgerEntryTypes = [
  "points.earned",
  "points.redeemed",
  "points.reversed",
  "points.adjusted",
  "badge.awarded",
  "referral.attributed",
  "referral.refused",
  "referral.qualified",
  "referral.held",
  "referral.paid",
  "referral.canceled",
  "referral.clawed_back",
  "referral.clawback_skipped",
  "referral.friend_reward",
  "occasion.credit",
  "renewal.offer",
] as const;
export type LedgerEntryType = (typeof ledgerEntryTypes)[number];

export interface LedgerEntry {
  id: string;
  customerId: string;
  entry: LedgerEntryType;
  /** Points kind, badge, occasion, or the friend's reward type. */
  kind: string | null;
  /** Signed: earned > 0, redeemed or reversed < 0. */
  points: number;
  /** Credit granted (> 0) or taken back (< 0), minor units; null when no money moves. */
  amount: number | null;
  currency: string | null;
  /** What the row answers: the referred customer, an invoice, an activity ref, a year. */
  ref: string | null;
  /** Why a reward was refused, held, canceled or skipped. */
  reason: string | null;
  /** The outbox action (= Stripe idempotency key) that moves the money. */
  actionId: string | null;
  at: number;
  /** Written only if the referral of `referredId` has this status once the step's batch has run (see MonthlyCap). */
  onlyIf?: { referredId: string; status: "pending" | "refused" };
}

type Required = Pick<LedgerEntry, "id" | "customerId" | "entry" | "at">;

export function ledgerEntry(e: Required & Partial<LedgerEntry>): LedgerEntry {
  return { kind: null, points: 0, amount: null, currency: null, ref: null, reason: null, actionId: null, ...e };
}

/** Deterministic ids: one place, so every path that decides the same fact names it the same way. */
export const rewardIds = {
  points: (customerId: string, kind: string, ref: string) => `points:${customerId}:${kind}:${ref}`,
  badge: (customerId: string, badge: string) => `badge:${customerId}:${badge}`,
  referral: (referredId: string, step: string) => `referral:${referredId}:${step}`,
  /** The referrer's credit: the reward id, the outbox id and the Stripe Idempotency-Key. */
  referralCredit: (referredId: string) => `referral.credit:${referredId}`,
  friendCredit: (referredId: string) => `referral.friend_credit:${referredId}`,
  clawback: (referredId: string) => `referral.clawback:${referredId}`,
  promotionCode: (referrerId: string) => `referral.code:${referrerId}`,
  redemption: (customerId: string, key: string) => `loyalty.redeem:${customerId}:${key}`,
  occasionCredit: (customerId: string, occasion: string, ref: string) => `occasion.credit:${customerId}:${occasion}:${ref}`,
  renewalOffer: (customerId: string) => `renewal.offer:${customerId}`,
};

/** UTC calendar month of an instant, `yyyy-mm`: the period of the per-referrer cap. */
export function monthKey(ms: number): string {
  return isoTime(ms)?.slice(0, 7) ?? String(ms);
}

export const leaderboardPeriods = ["month", "quarter", "year", "all"] as const;
export type LeaderboardPeriod = (typeof leaderboardPeriods)[number];

/** Start of the current UTC calendar month, quarter or year (0 for all time). */
export function periodStart(period: LeaderboardPeriod, now: number): number {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === "month") return Date.UTC(y, m, 1);
  if (period === "quarter") return Date.UTC(y, m - (m % 3), 1);
  if (period === "year") return Date.UTC(y, 0, 1);
  return 0;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** cyrb53: a small, well-mixed, synchronous 53-bit string hash (not for security). */
function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A customer's referral code: derived from their id, so creating it twice names the same code. */
export function referralCodeFor(customerId: string, prefix: string): string {
  let n = hash53(customerId);
  let out = "";
  for (let i = 0; i < 8; i++) {
    out += CROCKFORD[n % 32];
    n = Math.floor(n / 32);
  }
  return `${prefix}${out}`;
}
