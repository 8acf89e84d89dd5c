import type { NormalizedEvent } from "../events";
import type { Band } from "../health";
import type { CustomerState } from "../state";
import { isoTime } from "../time";
import type { ReferralRules } from "./config";
import { monthKey } from "./ledger";

/**
 * Referral decisions: attribution, qualification, clawback and release. Pure: each takes a referral
 * and facts and returns the referral as it should be next; `referralEffects` turns a transition into
 * ledger rows and actions.
 */

const DAY = 86_400_000;

export const referralSources = ["promotion_code", "client_reference_id", "referral_code", "manual"] as const;
export type ReferralSource = (typeof referralSources)[number];
export const referralStatuses = ["attributed", "refused", "pending", "held", "paid", "canceled", "clawed_back"] as const;
export type ReferralStatus = (typeof referralStatuses)[number];
/** Statuses of a referral that converted (the friend paid) and was not refused at qualification. */
export const CONVERTED: readonly ReferralStatus[] = ["pending", "held", "paid", "canceled", "clawed_back"];

export interface Referral {
  referredId: string;
  referrerId: string;
  code: string | null;
  source: ReferralSource;
  status: ReferralStatus;
  reason: string | null;
  attributedAt: number;
  invoiceId: string | null;
  chargeId: string | null;
  paymentIntentId: string | null;
  invoiceAmount: number | null;
  invoiceCurrency: string | null;
  /** The referrer's credit, in `currency`, decided at qualification. */
  rewardAmount: number | null;
  currency: string | null;
  qualifiedAt: number | null;
  releaseAt: number | null;
  paidAt: number | null;
  endedAt: number | null;
  /** 0 until stored; the store bumps it on every write (optimistic concurrency). */
  version: number;
}

/** What the rules need to know about either side of a referral. */
export interface Party {
  id: string;
  name: string | null;
  domain: string | null;
  fingerprints: readonly string[];
  currency: string | null;
  band: Band | null;
  pastDue: boolean;
  stripeCustomerId: string | null;
}

/** A subscription past due or unpaid: Stripe is still trying to collect. */
export function isPastDue(state: CustomerState): boolean {
  return Object.values(state.billing.subscriptions).some((s) => s.status === "past_due" || s.status === "unpaid");
}

/** Evidence that a customer came through someone's code, strongest first. */
export interface Candidate {
  key: string;
  source: ReferralSource;
  at: number;
}

/** Promotion codes on the first invoice or a checkout, then client_reference_id / referral_code. */
export function attributionCandidates(state: CustomerState): Candidate[] {
  const promo: Candidate[] = [];
  const other: Candidate[] = [];
  for (const inv of Object.values(state.billing.invoices)) {
    if (inv.reason === "first" && inv.promotionCode) promo.push({ key: inv.promotionCode, source: "promotion_code", at: inv.paidAt });
  }
  for (const c of Object.values(state.billing.checkouts)) {
    if (c.promotionCode) promo.push({ key: c.promotionCode, source: "promotion_code", at: c.at });
    if (c.clientReferenceId) other.push({ key: c.clientReferenceId, source: "client_reference_id", at: c.at });
    if (c.referralCode) other.push({ key: c.referralCode, source: "referral_code", at: c.at });
  }
  if (state.profile.referralCode) other.push({ key: state.profile.referralCode, source: "referral_code", at: state.profile.firstSeenAt ?? 0 });
  const rank = (c: Candidate) => referralSources.indexOf(c.source);
  const byTime = (a: Candidate, b: Candidate) => a.at - b.at || rank(a) - rank(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return [...promo.sort(byTime), ...other.sort(byTime)].map((c) => ({ ...c, key: c.key.trim() })).filter((c) => c.key !== "");
}

/** The strongest candidate whose key names a known referrer (`owners` is keyed by promo id or upper-case code). */
export function firstMatch(candidates: readonly Candidate[], owners: ReadonlyMap<string, Party>): { candidate: Candidate; referrer: Party } | null {
  for (const candidate of candidates) {
    const referrer = owners.get(candidate.key) ?? owners.get(candidate.key.toUpperCase());
    if (referrer) return { candidate, referrer };
  }
  return null;
}

export interface AttributionInput {
  referred: Party;
  referrer: Party;
  candidate: Candidate;
  /** The referred customer's state (for "already a customer"). */
  state: CustomerState;
  rules: ReferralRules;
  freeMail: ReadonlySet<string>;
}

/** A new referral: attributed, or refused with the reason. */
export function attribute(a: AttributionInput): Referral {
  const reason = refusalReason(a);
  return {
    referredId: a.referred.id,
    referrerId: a.referrer.id,
    code: a.candidate.source === "manual" ? null : a.candidate.key,
    source: a.candidate.source,
    status: reason ? "refused" : "attributed",
    reason,
    attributedAt: a.candidate.at,
    invoiceId: null,
    chargeId: null,
    paymentIntentId: null,
    invoiceAmount: null,
    invoiceCurrency: null,
    rewardAmount: null,
    currency: null,
    qualifiedAt: null,
    releaseAt: null,
    paidAt: null,
    endedAt: reason ? a.candidate.at : null,
    version: 0,
  };
}

function refusalReason({ referred, referrer, candidate, state, rules, freeMail }: AttributionInput): string | null {
  if (referred.id === referrer.id) return "self-referral: the code belongs to this customer";
  const domain = referred.domain?.toLowerCase();
  if (domain && domain === referrer.domain?.toLowerCase() && !freeMail.has(domain)) return `self-referral: both customers use the email domain ${domain}`;
  if (referred.fingerprints.some((f) => referrer.fingerprints.includes(f))) return "self-referral: both customers paid with the same card";
  const cutoff = candidate.at - rules.attributionGraceMinutes * 60_000;
  const earlier = Object.entries(state.billing.invoices)
    .filter(([, inv]) => inv.amountPaid > 0 && inv.paidAt < cutoff)
    .sort(([, x], [, y]) => x.paidAt - y.paidAt)[0];
  if (earlier) return `already a customer: invoice ${earlier[0]} was paid ${isoTime(earlier[1].paidAt)?.slice(0, 10) ?? earlier[1].paidAt}, before the referral`;
  return null;
}

/** The referrer's credit for a friend's first invoice: fixed, or a share of it; never above the cap. */
export function rewardAmount(invoiceAmount: number, invoiceCurrency: string, currency: string, rules: ReferralRules): number | null {
  const r = rules.reward;
  const base = r.mode === "percent" && invoiceCurrency === currency ? Math.floor((invoiceAmount * r.percent) / 100) : r.fixed[currency];
  if (base === undefined) return null;
  const cap = r.cap[currency];
  return Math.max(0, cap === undefined ? base : Math.min(base, cap));
}

export interface QualifyInput {
  referral: Referral;
  state: CustomerState;
  referrer: Party;
  /** Rewards the referrer already qualified for, per `yyyy-mm`. */
  monthCounts: Readonly<Record<string, number>>;
  /** Payment intents of invoices seen in this step (the state keeps only the charge). */
  paymentIntents: Readonly<Record<string, string>>;
  rules: ReferralRules;
}

/**
 * The referrer's monthly cap for a reward qualified at `at`. The counts `qualify` reads can be stale (a batch
 * reads them once, and other writers run concurrently), so the store re-checks the cap when it commits.
 */
export interface MonthlyCap {
  limit: number;
  /** `yyyy-mm` (UTC) of the qualifying payment. */
  month: string;
  /** The refusal reason when the cap is full. */
  reason: string;
}

export function monthlyCap(rules: ReferralRules, at: number): MonthlyCap {
  const month = monthKey(at);
  const limit = rules.monthlyCapPerReferrer;
  return { limit, month, reason: `monthly cap reached: the referrer already has ${limit} rewards in ${month}` };
}

/** The friend's first paid invoice (amount > 0) qualifies an attributed referral, or refuses it. */
export function qualify(q: QualifyInput): Referral {
  const r = q.referral;
  if (r.status !== "attributed") return r;
  const since = r.attributedAt - q.rules.attributionGraceMinutes * 60_000;
  const first = Object.entries(q.state.billing.invoices)
    .filter(([, inv]) => inv.reason === "first" && inv.amountPaid > 0 && inv.paidAt >= since)
    .sort(([a, x], [b, y]) => x.paidAt - y.paidAt || (a < b ? -1 : 1))[0];
  if (!first) return r;
  const [invoiceId, inv] = first;
  const currency = (q.referrer.currency ?? inv.currency).toLowerCase();
  const facts = {
    invoiceId,
    chargeId: inv.chargeId ?? null,
    paymentIntentId: q.paymentIntents[invoiceId] ?? null,
    invoiceAmount: inv.amountPaid,
    invoiceCurrency: inv.currency,
    qualifiedAt: inv.paidAt,
  };
  const month = monthKey(inv.paidAt);
  if ((q.monthCounts[month] ?? 0) >= q.rules.monthlyCapPerReferrer) {
    return { ...r, ...facts, status: "refused", reason: monthlyCap(q.rules, inv.paidAt).reason, endedAt: inv.paidAt };
  }
  const amount = rewardAmount(inv.amountPaid, inv.currency, currency, q.rules);
  if (amount === null || amount === 0) {
    return { ...r, ...facts, status: "refused", reason: `no referral reward is configured in ${currency}`, endedAt: inv.paidAt };
  }
  return { ...r, ...facts, status: "pending", reason: null, rewardAmount: amount, currency, releaseAt: inv.paidAt + q.rules.holdDays * DAY };
}

/** A refund or dispute of some payment. */
export interface Reversal {
  kind: "refund" | "dispute";
  id: string;
  chargeId?: string;
  paymentIntentId?: string;
  invoiceId?: string;
  at: number;
}

export function reversalsInEvents(events: readonly NormalizedEvent[]): Reversal[] {
  const out: Reversal[] = [];
  for (const e of events) {
    if (e.type === "charge.refunded") out.push({ kind: "refund", id: e.chargeId, chargeId: e.chargeId, paymentIntentId: e.paymentIntentId, invoiceId: e.invoiceId, at: e.occurredAt });
    if (e.type === "dispute.created") out.push({ kind: "dispute", id: e.disputeId, chargeId: e.chargeId, paymentIntentId: e.subject.stripePaymentIntentId, at: e.occurredAt });
  }
  return out;
}

export function reversalsInState(state: CustomerState): Reversal[] {
  const refunds = Object.entries(state.billing.refunds).map(([chargeId, r]): Reversal => ({ kind: "refund", id: chargeId, chargeId, invoiceId: r.invoiceId, at: r.at }));
  const disputes = Object.entries(state.billing.disputes).map(([id, d]): Reversal => ({ kind: "dispute", id, chargeId: d.chargeId, at: d.at }));
  return [...refunds, ...disputes];
}

export function reversesQualifyingPayment(r: Referral, x: Reversal): boolean {
  return (
    (r.chargeId !== null && x.chargeId === r.chargeId) ||
    (r.paymentIntentId !== null && x.paymentIntentId === r.paymentIntentId) ||
    (r.invoiceId !== null && x.invoiceId === r.invoiceId)
  );
}

/** During the hold a reversal cancels the reward; after payout it claws it back (when enabled). */
export function clawback(r: Referral, x: Reversal, rules: ReferralRules): { referral: Referral; skipped: string | null } {
  const what = `${x.kind} ${x.id} of the qualifying payment`;
  if (r.status === "pending" || r.status === "held") {
    return { referral: { ...r, status: "canceled", reason: `${what} during the hold`, endedAt: x.at }, skipped: null };
  }
  if (r.status !== "paid") return { referral: r, skipped: null };
  if (!rules.clawback) return { referral: r, skipped: `${what} after payout; clawback is disabled` };
  return { referral: { ...r, status: "clawed_back", reason: `${what} after payout`, endedAt: x.at }, skipped: null };
}

/** Why a healthy-looking payout must wait, or null to pay now. */
export function holdReason(referrer: Party, rules: ReferralRules): string | null {
  if (rules.holdWhileUnhealthy && referrer.band === "red") return "referrer is in the red health band";
  if (rules.holdWhileUnhealthy && referrer.pastDue) return "referrer's subscription is past due";
  if (!referrer.stripeCustomerId) return "referrer has no Stripe customer to credit";
  return null;
}

/** After the hold: pay, or hold until the referrer is healthy. A held reward is re-checked on every call. */
export function release(r: Referral, referrer: Party, now: number, rules: ReferralRules): Referral {
  const due = (r.status === "pending" && r.releaseAt !== null && r.releaseAt <= now) || r.status === "held";
  if (!due) return r;
  const reason = holdReason(referrer, rules);
  if (reason) return r.status === "held" && r.reason === reason ? r : { ...r, status: "held", reason };
  return { ...r, status: "paid", reason: null, paidAt: now };
}
