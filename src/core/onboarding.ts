import type { LifecycleConfig } from "./lifecycle";
import type { CustomerState } from "./state";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One word for the onboarding state, e.g. for a CRM property. */
export type OnboardingPhase = "not_purchased" | "not_started" | "in_progress" | "first_value_missed" | "complete";

export interface OnboardingStatus {
  status: OnboardingPhase;
  /** First paid invoice with an amount above zero. */
  purchasedAt: number | null;
  firstValueAt: number | null;
  /** From purchase to first value; 0 when value came first (e.g. during a trial). */
  timeToFirstValueMs: number | null;
  /** When first value is due under the first-value rule (purchase + cfg.firstValueHours). */
  firstValueDueAt: number | null;
  /** The due time has passed, as of `now`, without a first-value event before it. */
  firstValueMissed: boolean;
  /** Core features ever used (all distinct events when no core features are configured). */
  coreFeaturesAdopted: string[];
  /** When the threshold-th core feature was first used. */
  adoptedAt: number | null;
  onboardingComplete: boolean;
  /** When both first value and core adoption were reached. */
  onboardedAt: number | null;
}

export function firstPaidAt(state: CustomerState, now: number): number | null {
  // The register is the minimum over every paid invoice ever seen, including those compacted away.
  const reg = state.billing.firstPaidAt;
  if (reg !== undefined) return reg <= now ? reg : null;
  const paid = Object.values(state.billing.invoices)
    .filter((i) => i.amountPaid > 0 && i.paidAt <= now)
    .map((i) => i.paidAt);
  return paid.length ? Math.min(...paid) : null;
}

/** Usage events seen up to `now`, with the time each was first and last seen. */
function seenEvents(state: CustomerState, now: number): [string, { firstAt: number; lastAt: number }][] {
  return Object.entries(state.usage.events).filter(([, e]) => e.firstAt <= now);
}

function coreEvents(state: CustomerState, now: number, cfg: LifecycleConfig) {
  const seen = seenEvents(state, now);
  if (cfg.coreFeatures.length === 0) return seen;
  const core = new Set(cfg.coreFeatures);
  return seen.filter(([name]) => core.has(name));
}

/** How many distinct core features count as "the main features": never more than are configured. */
export function coreThreshold(cfg: LifecycleConfig): number {
  const n = cfg.coreFeatures.length;
  return Math.max(1, n > 0 ? Math.min(cfg.coreFeatureThreshold, n) : cfg.coreFeatureThreshold);
}

export function firstValueAt(state: CustomerState, now: number, cfg: LifecycleConfig): number | null {
  const wanted = new Set(cfg.firstValueEvents);
  const times = seenEvents(state, now)
    .filter(([name]) => wanted.size === 0 || wanted.has(name))
    .map(([, e]) => e.firstAt);
  return times.length ? Math.min(...times) : null;
}

/** Core features used within the recent window ending at `now`, sorted by name. */
export function recentCoreFeatures(state: CustomerState, now: number, cfg: LifecycleConfig): string[] {
  const since = now - cfg.mainFeatureWindowDays * DAY;
  return coreEvents(state, now, cfg)
    .filter(([, e]) => e.lastAt >= since)
    .map(([name]) => name)
    .sort();
}

export function usesMainFeatures(state: CustomerState, now: number, cfg: LifecycleConfig): boolean {
  return recentCoreFeatures(state, now, cfg).length >= coreThreshold(cfg);
}

/**
 * When the customer stopped meeting the main-feature rule: the threshold-th most recent use plus the
 * window. Null while the rule still holds or if it never could have held.
 */
export function mainFeaturesLapsedAt(state: CustomerState, now: number, cfg: LifecycleConfig): number | null {
  const last = coreEvents(state, now, cfg)
    .map(([, e]) => Math.min(e.lastAt, now))
    .sort((a, b) => b - a);
  const kth = last[coreThreshold(cfg) - 1];
  if (kth === undefined) return null;
  const lapse = kth + cfg.mainFeatureWindowDays * DAY;
  return lapse < now ? lapse : null;
}

export function onboardingStatus(state: CustomerState, now: number, cfg: LifecycleConfig): OnboardingStatus {
  const purchasedAt = firstPaidAt(state, now);
  const valueAt = firstValueAt(state, now, cfg);
  const core = coreEvents(state, now, cfg).sort(([a, x], [b, y]) => x.firstAt - y.firstAt || (a < b ? -1 : 1));
  const adoptedAt = core[coreThreshold(cfg) - 1]?.[1].firstAt ?? null;
  const dueAt = purchasedAt === null ? null : purchasedAt + cfg.firstValueHours * HOUR;
  const complete = valueAt !== null && adoptedAt !== null;
  const missed = dueAt !== null && now >= dueAt && (valueAt === null || valueAt > dueAt);
  return {
    status: phase(complete, purchasedAt, missed, seenEvents(state, now).length > 0),
    purchasedAt,
    firstValueAt: valueAt,
    timeToFirstValueMs: purchasedAt !== null && valueAt !== null ? Math.max(0, valueAt - purchasedAt) : null,
    firstValueDueAt: dueAt,
    firstValueMissed: missed,
    coreFeaturesAdopted: core.map(([name]) => name).sort(),
    adoptedAt,
    onboardingComplete: complete,
    onboardedAt: complete ? Math.max(valueAt, adoptedAt) : null,
  };
}

function phase(complete: boolean, purchasedAt: number | null, missed: boolean, started: boolean): OnboardingPhase {
  if (complete) return "complete";
  if (purchasedAt === null) return "not_purchased";
  if (missed) return "first_value_missed";
  return started ? "in_progress" : "not_started";
}
