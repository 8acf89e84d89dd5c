import type { Action } from "./actions";
import type { NormalizedEvent } from "./events";
import type { CustomerState } from "./state";
import { newBadges } from "./rewards/badges";
import type { RewardRules } from "./rewards/config";
import type { LedgerEntry } from "./rewards/ledger";
import { activitiesIn, earnPoints } from "./rewards/points";
import { referralEffects } from "./rewards/referral-effects";
import {
  attribute,
  attributionCandidates,
  clawback,
  firstMatch,
  monthlyCap,
  qualify,
  release,
  reversalsInEvents,
  reversalsInState,
  reversesQualifyingPayment,
  type Candidate,
  type MonthlyCap,
  type Party,
  type Referral,
} from "./rewards/referrals";

/**
 * The loyalty planner for one customer's scoring step: referral attribution, qualification, clawback
 * and payout, points and badges. Pure: everything it needs from storage arrives in `ctx`, and it
 * returns referral rows to write, ledger rows and outbound actions, all with deterministic ids.
 */

export * from "./rewards/badges";
export * from "./rewards/config";
export * from "./rewards/ledger";
export * from "./rewards/occasions";
export * from "./rewards/points";
export * from "./rewards/referral-effects";
export * from "./rewards/referrals";

/** What storage knows about this customer's place in the program, loaded just before the step. */
export interface RewardContext {
  /** The referral that brought this customer in, if any. */
  asReferred: Referral | null;
  /** Its referrer; or, when none is recorded yet, null. */
  referrer: Party | null;
  /** Attribution keys (promotion code id or upper-case code) -> the referrer they name. */
  owners: ReadonlyMap<string, Party>;
  /** Per referrer id: rewards qualified per `yyyy-mm`. */
  monthCounts: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** This customer's referrals still waiting for payout (pending or held), with the friend. */
  asReferrer: readonly { referral: Referral; referred: Party }[];
  /** This customer's referrals already paid out. */
  referralsPaid: number;
  badges: readonly string[];
}

export interface RewardStepInput {
  self: Party;
  state: CustomerState;
  events: readonly NormalizedEvent[];
  segments: readonly string[];
  onboarding: { purchasedAt: number | null; onboardedAt: number | null };
  churned: boolean;
  /** An attribution that did not come from the state (POST /api/referrals). */
  manual?: { referrer: Party; at: number };
  ctx: RewardContext;
  rules: RewardRules;
  freeMail: ReadonlySet<string>;
  now: number;
}

export interface ReferralWrite {
  before: Referral | null;
  after: Referral;
  /** Set when this write qualifies a reward: the store refuses it instead if the cap is full at commit. */
  cap?: MonthlyCap;
}

export interface RewardPlan {
  referrals: ReferralWrite[];
  ledger: LedgerEntry[];
  actions: Action[];
  /** Customers whose points or referral count changed: their HubSpot values need a refresh. */
  touched: string[];
}

export function planRewards(p: RewardStepInput): RewardPlan {
  const plan: RewardPlan = { referrals: [], ledger: [], actions: [], touched: [] };
  if (p.rules.referral.enabled) {
    planReferredSide(p, plan);
    planReferrerSide(p, plan);
  }
  plan.ledger.push(...earnPoints(activitiesIn(p.events, p.rules), { customerId: p.self.id, ...p.onboarding, segments: p.segments, rules: p.rules }));
  const paidNow = plan.referrals.filter((w) => w.after.referrerId === p.self.id && w.after.status === "paid" && w.before?.status !== "paid").length;
  const facts = { referralsPaid: p.ctx.referralsPaid + paidNow, customerSince: p.onboarding.purchasedAt, churned: p.churned, segments: p.segments, now: p.now };
  plan.ledger.push(...newBadges(p.self.id, facts, p.ctx.badges, p.rules));
  plan.touched = [...new Set([...plan.ledger.map((e) => e.customerId), ...plan.referrals.map((w) => w.after.referrerId)])].sort();
  return plan;
}

/** This customer as the friend: attribute once, qualify on the first paid invoice, cancel or claw back on a reversal. */
export function planReferredSide(p: RewardStepInput, plan: RewardPlan): void {
  const before = p.ctx.asReferred;
  let r = before;
  let referrer = p.ctx.referrer;
  if (!r) {
    const manual = p.manual ? { candidate: { key: "manual", source: "manual", at: p.manual.at } satisfies Candidate, referrer: p.manual.referrer } : null;
    const match = manual ?? firstMatch(attributionCandidates(p.state), p.ctx.owners);
    if (!match) return;
    referrer = match.referrer;
    r = attribute({ referred: p.self, referrer, candidate: match.candidate, state: p.state, rules: p.rules.referral, freeMail: p.freeMail });
  }
  if (!referrer) return;
  const paymentIntents = Object.fromEntries(p.events.flatMap((e) => (e.type === "invoice.paid" && e.paymentIntentId ? [[e.invoiceId, e.paymentIntentId]] : [])));
  const qualified = qualify({ referral: r, state: p.state, referrer, monthCounts: p.ctx.monthCounts[referrer.id] ?? {}, paymentIntents, rules: p.rules.referral });
  const justQualified = qualified.status === "pending" && r.status === "attributed";
  r = qualified;
  const cap = justQualified && qualified.qualifiedAt !== null ? monthlyCap(p.rules.referral, qualified.qualifiedAt) : undefined;
  let skipped: string | null = null;
  const reversals = [...reversalsInEvents(p.events), ...(justQualified ? reversalsInState(p.state) : [])];
  for (const x of reversals.filter((x) => reversesQualifyingPayment(r!, x))) {
    const c = clawback(r, x, p.rules.referral);
    r = c.referral;
    skipped ??= c.skipped;
  }
  record(plan, { before, after: r, referrer, referred: p.self, rules: p.rules, now: p.now, skipped, ...(cap && r.status === "pending" ? { cap } : {}) });
}

/** This customer as the referrer: rewards past their hold pay out now, or wait while the referrer is unhealthy. */
function planReferrerSide(p: RewardStepInput, plan: RewardPlan): void {
  for (const { referral, referred } of p.ctx.asReferrer) {
    if (referral.referredId === p.self.id) continue;
    const after = release(referral, p.self, p.now, p.rules.referral);
    record(plan, { before: referral, after, referrer: p.self, referred, rules: p.rules, now: p.now, skipped: null });
  }
}

function record(plan: RewardPlan, t: Parameters<typeof referralEffects>[0]): void {
  const changed = !t.before || JSON.stringify(t.before) !== JSON.stringify(t.after);
  const fx = referralEffects(t);
  if (changed) plan.referrals.push({ before: t.before, after: t.after, ...(t.cap ? { cap: t.cap } : {}) });
  plan.ledger.push(...fx.ledger);
  plan.actions.push(...fx.actions);
}
