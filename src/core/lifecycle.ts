import { z } from "zod";
import {
  type OnboardingStatus,
  mainFeaturesLapsedAt,
  onboardingStatus,
  recentCoreFeatures,
  usesMainFeatures,
} from "./onboarding";
import { sketchCount } from "./sketch";
import { hasEnded } from "./subscriptions";
import type { CustomerState } from "./state";

/**
 * The loyalty stage, derived from facts only:
 * awareness -> conversion -> purchase -> onboarding -> renewal -> loyalty, and churned once every
 * subscription has ended. A first renewal ends onboarding whether or not it completed; loyalty needs
 * a renewal AND current use of the main features. Rules and their rationale: docs/health-model.md.
 */

export const stages = ["awareness", "conversion", "purchase", "onboarding", "renewal", "loyalty", "churned"] as const;
export type Stage = (typeof stages)[number];

/**
 * Which CRM deal stages close a deal, by stage id: HubSpot's default sales pipeline by default; a custom
 * pipeline's stage ids are added here (TENURE_CONFIG.crm.dealStages). Any other stage is open.
 */
export const dealStagesSchema = z
  .object({
    won: z.array(z.string().min(1)).default(["closedwon"]),
    lost: z.array(z.string().min(1)).default(["closedlost"]),
  })
  .strict();
export type DealStages = z.output<typeof dealStagesSchema>;
export const defaultDealStages: DealStages = dealStagesSchema.parse({});

/** HubSpot's default lifecycle stages (the company property `lifecyclestage`), by internal value. */
const CRM_CUSTOMER_STAGES = new Set(["customer", "evangelist"]);
const CRM_CONVERTING_STAGES = new Set(["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"]);

export const lifecycleConfigSchema = z.object({
  /** Usage event names that count as the product's main features; empty = any distinct event. */
  coreFeatures: z.array(z.string()).default([]),
  /** How many distinct core features must be in use to count as "uses the main features". */
  coreFeatureThreshold: z.number().int().positive().default(2),
  /** Usage event names that mark first value; empty = the first usage event of any kind. */
  firstValueEvents: z.array(z.string()).default([]),
  /** Hours after purchase within which first value is expected (the 24-hour rule). */
  firstValueHours: z.number().positive().default(24),
  /** "Uses the main features" means used within this many days before `now`. */
  mainFeatureWindowDays: z.number().positive().default(30),
  /** Deal stage semantics; absent = HubSpot's default pipeline. */
  dealStages: dealStagesSchema.optional(),
});
export type LifecycleConfig = z.output<typeof lifecycleConfigSchema>;

export const defaultLifecycleConfig: LifecycleConfig = lifecycleConfigSchema.parse({});

export interface StageResult {
  stage: Stage;
  /** When the current stage was reached, when the facts say so; null when they do not. */
  since: number | null;
  onboarding: OnboardingStatus;
  /** Paid renewal invoices. */
  renewals: number;
  usesMainFeatures: boolean;
  /** Core features used within the main-feature window. */
  recentCoreFeatures: string[];
}


export function stageOf(state: CustomerState, now: number, cfg: LifecycleConfig): StageResult {
  const onboarding = onboardingStatus(state, now, cfg);
  const renewalTimes = Object.values(state.billing.invoices)
    .filter((i) => i.reason === "renewal" && i.paidAt <= now)
    .map((i) => i.paidAt);
  // Renewals older than the kept invoices still count: the register remembers the first one.
  const firstRenewalReg = state.billing.firstRenewalAt;
  if (firstRenewalReg !== undefined && firstRenewalReg <= now && !renewalTimes.includes(firstRenewalReg)) renewalTimes.push(firstRenewalReg);
  // The first won deal is the purchase; each later won deal (a renewal or an expansion) counts as a renewal.
  const won = wonDealTimes(state, now, cfg);
  renewalTimes.push(...won.slice(1));
  const base = {
    onboarding,
    renewals: renewalTimes.length,
    usesMainFeatures: usesMainFeatures(state, now, cfg),
    recentCoreFeatures: recentCoreFeatures(state, now, cfg),
  };
  const at = (stage: Stage, since: number | null): StageResult => ({ stage, since, ...base });

  const churned = churnedAt(state);
  if (churned !== null) return at("churned", churned);
  const { onboardedAt, adoptedAt } = onboarding;
  // Billing says when the customer bought; without billing, the CRM may (a won deal, lifecycle stage customer).
  const purchasedAt = onboarding.purchasedAt ?? crmCustomerSince(state, now, won);
  if (purchasedAt === null) {
    const converting = conversionSince(state, now, cfg);
    return converting !== undefined ? at("conversion", converting) : at("awareness", awarenessSince(state));
  }
  const onboardedSince = onboardedAt === null ? null : Math.max(purchasedAt, onboardedAt);
  if (renewalTimes.length === 0) {
    if (onboardedSince !== null) return at("renewal", onboardedSince);
    const firstUse = firstActivityAt(state, now);
    return firstUse === null ? at("purchase", purchasedAt) : at("onboarding", Math.max(purchasedAt, firstUse));
  }
  // Renewed: past onboarding whatever its state; loyalty needs current use of the main features.
  const firstRenewal = Math.min(...renewalTimes);
  const loyalSince = Math.max(firstRenewal, adoptedAt ?? firstRenewal);
  if (base.usesMainFeatures) return at("loyalty", loyalSince);
  const lapsed = mainFeaturesLapsedAt(state, now, cfg);
  if (lapsed !== null && lapsed > loyalSince) return at("renewal", lapsed);
  return at("renewal", Math.min(onboardedSince ?? firstRenewal, firstRenewal));
}

/** Every subscription ended (none live): when the last one ended. Null if any is live or none exist. */
export function churnedAt(state: CustomerState): number | null {
  const subs = Object.values(state.billing.subscriptions);
  if (subs.length === 0 || subs.some((s) => !hasEnded(s))) return null;
  const real = subs.filter((s) => s.status === "canceled");
  if (real.length === 0) return null;
  return Math.max(...real.map((s) => s.endedAt ?? s.canceledAt ?? s.at));
}

/**
 * Earliest sign of a trial, an open (or won, not yet invoiced) deal, or a signup. A user known only
 * from identify/group calls is a signup too, but those carry no first-seen time, so `since` may be null.
 */
function conversionSince(state: CustomerState, now: number, cfg: LifecycleConfig): number | null | undefined {
  const times: number[] = [];
  for (const s of Object.values(state.billing.subscriptions)) times.push(s.trialStart ?? s.startedAt ?? s.at);
  for (const c of Object.values(state.billing.checkouts)) times.push(c.at);
  for (const d of Object.values(state.crm.deals)) if (dealStatus(d, cfg) !== "lost") times.push(d.at);
  const crmStage = state.crm.properties.lifecyclestage;
  if (crmStage?.value && CRM_CONVERTING_STAGES.has(crmStage.value) && crmStage.at <= now) times.push(crmStage.at);
  for (const e of Object.values(state.usage.events)) times.push(e.firstAt);
  if (times.length) return Math.min(...times);
  return sketchCount(state.usage.known) > 0 ? null : undefined;
}

type Deal = CustomerState["crm"]["deals"][string];

/** A deal's status under the configured stage semantics; a deal known without a stage keeps the status it came with. */
export function dealStatus(d: Deal, cfg: Pick<LifecycleConfig, "dealStages">): "open" | "won" | "lost" {
  const stages = cfg.dealStages ?? defaultDealStages;
  if (d.stage !== undefined) return stages.won.includes(d.stage) ? "won" : stages.lost.includes(d.stage) ? "lost" : "open";
  return d.status ?? "open";
}

/** When each won deal closed (its close date, else when it was last seen), oldest first, up to `now`. */
function wonDealTimes(state: CustomerState, now: number, cfg: LifecycleConfig): number[] {
  return Object.values(state.crm.deals)
    .filter((d) => dealStatus(d, cfg) === "won" && d.at <= now)
    .map((d) => Math.min(d.closeDate ?? d.at, d.at))
    .filter((t) => t <= now)
    .sort((a, b) => a - b);
}

/** The CRM's word that this is a customer: the first won deal, or the lifecycle stage set to customer. */
function crmCustomerSince(state: CustomerState, now: number, won: readonly number[]): number | null {
  const times = [...won.slice(0, 1)];
  const crmStage = state.crm.properties.lifecyclestage;
  if (crmStage?.value && CRM_CUSTOMER_STAGES.has(crmStage.value) && crmStage.at <= now) times.push(crmStage.at);
  return times.length ? Math.min(...times) : null;
}

function awarenessSince(state: CustomerState): number | null {
  const { properties, contacts, deals } = state.crm;
  const times = [...Object.values(properties), ...Object.values(contacts), ...Object.values(deals)].map((x) => x.at);
  return times.length ? Math.min(...times) : null;
}

function firstActivityAt(state: CustomerState, now: number): number | null {
  const times = Object.values(state.usage.events)
    .map((e) => e.firstAt)
    .filter((t) => t <= now);
  return times.length ? Math.min(...times) : null;
}
