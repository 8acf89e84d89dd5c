import type { Action } from "./core/actions";
import type { TenureConfig } from "./core/config";
import type { NormalizedEvent } from "./core/events";
import type { OnboardingStatus } from "./core/onboarding";
import type { Snapshot } from "./core/plan";
import { applyEvents } from "./core/reduce";
import {
  attributionCandidates,
  isPastDue,
  monthDayOf,
  planRewards,
  type Party,
  type RewardContext,
  type RewardPlan,
} from "./core/rewards";
import { emptyState, type CustomerState } from "./core/state";
import {
  birthdayStmt,
  codeOwners,
  enrollStmts,
  fingerprintStmt,
  ledgerStmts,
  loadParties,
  loyaltySyncId,
  loyaltySyncStmt,
  monthCounts,
  programPositions,
  referralWriteStmts,
  type ProgramPosition,
} from "./store/loyalty";
import { insertActionStmts } from "./store/outbox";
import { buildReferralCode, codeEligible } from "./core/rewards/codes";
import { newCodeStmts } from "./store/loyalty-codes";
import { entry } from "./core/keyed";

/**
 * The loyalty program inside a customer's scoring step: the context is loaded before the step, the
 * plan is pure (src/core/rewards), and its statements join the step's one atomic batch.
 */

export interface LoyaltyContext {
  reward: RewardContext;
  /** Card fingerprints already known for this customer. */
  fingerprints: string[];
  /** The customer already holds a referral code. */
  hasCode: boolean;
  /** Codes the steps of this batch may still create (shared by the batch's contexts; see CODES_PER_BATCH). */
  codeBudget: { left: number };
  /** The customer's place in the program the context was built from, and whether it came from the account shard's copy (the commit's guard then checks its `seq`). */
  position: ProgramPosition;
  positionHeld: boolean;
}

/**
 * At most this many customers of one consumer batch get their code in their step (two statements each), so a
 * batch of new customers stays within D1's queries per invocation; the daily walk makes the others' codes.
 */
export const CODES_PER_BATCH = 10;

export interface LoyaltyInput {
  customerId: string;
  stored: { state: CustomerState } | null;
  events: readonly NormalizedEvent[];
}

/**
 * The loyalty context of every customer in a step, loaded together: a fixed number of round trips
 * for the whole batch rather than a few per customer. `held`: positions an account shard kept from the customer's
 * last step, used until one of their pending referrals falls due (the commit's guard checks that no write moved them).
 */
export async function loadLoyaltyContexts(
  db: D1Database,
  inputs: readonly LoyaltyInput[],
  now: number,
  held: ReadonlyMap<string, ProgramPosition> = new Map(),
): Promise<Map<string, LoyaltyContext>> {
  const out = new Map<string, LoyaltyContext>();
  if (inputs.length === 0) return out;
  const codeBudget = { left: CODES_PER_BATCH };
  const usable = new Map([...held].filter(([, p]) => p.seq !== null && (p.validUntil === null || now < p.validUntil)));
  const positions = new Map(usable);
  const unread = inputs.map((i) => i.customerId).filter((id) => !usable.has(id));
  if (unread.length > 0) for (const [id, p] of await programPositions(db, unread, now)) positions.set(id, p);
  const each = inputs.map((input) => {
    const position = positions.get(input.customerId)!;
    const candidates = position.asReferred ? [] : attributionCandidates(applyEvents(input.stored?.state ?? emptyState(), input.events)).map((c) => c.key);
    return { input, position, candidates };
  });
  const allOwners = await codeOwners(db, [...new Set(each.flatMap((e) => e.candidates))]);
  const plans = each.map(({ input, position, candidates }) => {
    // The same keys a per-customer lookup would have matched: the candidate itself or its upper case.
    const ownerIds = new Map<string, string>();
    for (const key of candidates) {
      for (const k of [key, key.toUpperCase()]) {
        const id = allOwners.get(k);
        if (id !== undefined) ownerIds.set(k, id);
      }
    }
    const referrerIds = position.asReferred ? [position.asReferred.referrerId] : [...new Set(ownerIds.values())];
    // This customer's own fingerprints matter only when a referrer is in view.
    const partyIds = [...referrerIds, ...position.open.map((r) => r.referredId), ...(referrerIds.length ? [input.customerId] : [])];
    return { input, position, ownerIds, referrerIds, partyIds };
  });
  const [parties, counts] = await Promise.all([loadParties(db, plans.flatMap((p) => p.partyIds)), monthCounts(db, [...new Set(plans.flatMap((p) => p.referrerIds))])]);
  for (const { input, position, ownerIds, referrerIds, partyIds } of plans) {
    // This customer's own party is rebuilt from the step's state; only its known fingerprints are kept.
    const fingerprints = partyIds.includes(input.customerId) ? [...(parties.get(input.customerId)?.fingerprints ?? [])] : [];
    const owners = new Map<string, Party>();
    for (const [key, id] of ownerIds) {
      const p = parties.get(id);
      if (p) owners.set(key, p);
    }
    const { asReferred, open, paid, badges } = position;
    out.set(input.customerId, {
      fingerprints,
      hasCode: position.hasCode,
      codeBudget,
      position,
      positionHeld: usable.has(input.customerId),
      reward: {
        asReferred,
        referrer: asReferred ? (parties.get(asReferred.referrerId) ?? null) : null,
        owners,
        monthCounts: Object.fromEntries(referrerIds.filter((id) => counts[id]).map((id) => [id, counts[id]!])),
        asReferrer: open.flatMap((referral) => {
          const referred = parties.get(referral.referredId);
          return referred ? [{ referral, referred }] : [];
        }),
        referralsPaid: paid,
        badges,
      },
    });
  }
  return out;
}

export interface LoyaltyStepInput {
  customerId: string;
  state: CustomerState;
  events: readonly NormalizedEvent[];
  snapshot: Snapshot;
  onboarding: OnboardingStatus;
  externalIds: Record<string, string[]>;
  loyalty: LoyaltyContext;
}

/**
 * The loyalty part of a scoring step: statements for the step's batch, and the actions they create. `movesPosition`:
 * the statements write referrals, badges or a code, so the customer's position (and its `loyalty_seq`) will differ
 * from the one the step read.
 */
export function loyaltyStep(
  deps: { db: D1Database; cfg: TenureConfig; now: number; hubspotCoalesceMs?: number },
  s: LoyaltyStepInput,
): { stmts: D1PreparedStatement[]; actions: Action[]; movesPosition: boolean } {
  const { db, cfg, now } = deps;
  const rules = cfg.rewards;
  const newPrints = fingerprintsIn(s.events, rules.referral.fingerprintMetadataKey).filter((f) => !s.loyalty.fingerprints.includes(f));
  const self: Party = {
    id: s.customerId,
    name: s.state.profile.name?.value ?? null,
    domain: s.state.profile.domain?.value ?? null,
    fingerprints: [...s.loyalty.fingerprints, ...newPrints],
    currency: s.snapshot.currency?.toLowerCase() ?? s.state.profile.currency ?? null,
    band: s.snapshot.band,
    pastDue: isPastDue(s.state),
    stripeCustomerId: s.externalIds.stripe?.[0] ?? null,
  };
  // The self-referral check compares the friend with a stored referrer row; a self-owned code must see this step's facts.
  const owners = new Map([...s.loyalty.reward.owners].map(([k, p]) => [k, p.id === self.id ? self : p]));
  const plan = planRewards({
    self,
    state: s.state,
    events: s.events,
    segments: s.snapshot.segments,
    onboarding: { purchasedAt: s.onboarding.purchasedAt, onboardedAt: s.onboarding.onboardedAt },
    churned: s.snapshot.stage === "churned",
    ctx: { ...s.loyalty.reward, owners },
    rules,
    freeMail: new Set(cfg.identity.freeMailDomains),
    now,
  });
  const stmts = planStmts(db, plan, rules.version, now);
  stmts.push(...newPrints.map((f) => fingerprintStmt(db, s.customerId, f, now)));
  stmts.push(...birthdayStmts(db, s.customerId, s.events, rules.occasions.birthday.contactProperty, now));
  const selfCompanies = s.externalIds.hubspot ?? [];
  stmts.push(...plan.touched.map((id) => loyaltySyncStmt(db, id, id === s.customerId ? selfCompanies : [], now, rules.referral.linkBase, deps.hubspotCoalesceMs ?? 0)));
  const codeActions: Action[] = [];
  // With referral.codeOnPaying, an eligible customer's code commits with the step that made them eligible (up to
  // the batch's budget); otherwise, and past the budget, the daily walk makes it (src/rewards/default-codes.ts).
  if (rules.referral.codeOnPaying && !s.loyalty.hasCode && s.loyalty.codeBudget.left > 0 && codeEligible(rules.referral, s.snapshot.stage)) {
    s.loyalty.codeBudget.left--;
    const fresh = buildReferralCode(s.customerId, rules.referral);
    stmts.push(...newCodeStmts(db, s.customerId, fresh.code, fresh.action, now));
    codeActions.push(fresh.action);
    if (!plan.touched.includes(s.customerId) && selfCompanies.length > 0) {
      stmts.push(loyaltySyncStmt(db, s.customerId, selfCompanies, now, rules.referral.linkBase, deps.hubspotCoalesceMs ?? 0));
    }
  }
  const synced = plan.touched.includes(s.customerId) || codeActions.length > 0;
  const syncActions: Action[] = synced ? selfCompanies.map((co) => syncAction(s.customerId, co)) : [];
  const movesPosition = plan.referrals.length > 0 || plan.ledger.some((e) => e.entry === "badge.awarded") || codeActions.length > 0;
  return { stmts, actions: [...plan.actions, ...codeActions, ...syncActions], movesPosition };
}

/** Referral writes, ledger rows, enrollments and outbox rows of a plan, in commit order. */
export function planStmts(db: D1Database, plan: Pick<RewardPlan, "referrals" | "ledger" | "actions">, rulesVersion: string, now: number): D1PreparedStatement[] {
  const earned = new Map<string, number>();
  for (const e of plan.ledger) if (e.points > 0) earned.set(e.customerId, Math.min(earned.get(e.customerId) ?? now, e.at));
  return [
    ...plan.referrals.flatMap((w) => referralWriteStmts(db, w, now)),
    ...ledgerStmts(db, plan.ledger, rulesVersion),
    ...enrollStmts(db, [...earned.keys()], "earn", earned),
    ...insertActionStmts(db, plan.actions, now),
  ];
}

/** The outbox row a loyalty sync writes; its values are computed at commit (see loyaltySyncStmt). */
export function syncAction(customerId: string, companyId: string): Action {
  return { id: loyaltySyncId(companyId), customerId, payload: { type: "hubspot.properties", companyId, properties: {} } };
}

function fingerprintsIn(events: readonly NormalizedEvent[], key: string): string[] {
  const out = new Set<string>();
  for (const e of events) if (e.type === "customer.profile" && e.metadata[key]) out.add(e.metadata[key]!.trim());
  return [...out].filter((f) => f !== "");
}

function birthdayStmts(db: D1Database, customerId: string, events: readonly NormalizedEvent[], property: string, now: number): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (const e of events) {
    if (e.type !== "contact.changed" || !Object.hasOwn(e.properties, property)) continue;
    out.push(birthdayStmt(db, `hubspot:${e.contactId}`, customerId, monthDayOf(entry(e.properties, property)), now));
  }
  return out;
}
