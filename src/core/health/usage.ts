import type { LifecycleConfig, StageResult } from "../lifecycle";
import { coreThreshold } from "../onboarding";
import { mergeSketches, sketchCount } from "../sketch";
import type { CustomerState } from "../state";
import { isLiveOrTrial } from "../subscriptions";
import { DAY, type ComponentResult, type Factor, ago, clamp, daysBetween, isoDay, noData, plural, settle } from "./factors";
import type { HealthModel } from "./model";

type Params = HealthModel["usage"];

/** Neutral baseline for a customer who uses the product in an unremarkable way. */
const BASELINE = 70;

export interface UsageInput {
  state: CustomerState;
  now: number;
  params: Params;
  lifecycle: LifecycleConfig;
  stage: StageResult;
}

/**
 * Product usage health. Null without usage facts, except for a customer still onboarding who missed
 * first value while first-value events are configured: then the silence itself is the signal.
 */
export function scoreUsage(input: UsageInput): ComponentResult {
  const { state } = input;
  const hasUsage = Object.keys(state.usage.events).length > 0 || sketchCount(state.usage.known) > 0;
  const firstValue = firstValueFactor(input);
  if (!hasUsage) {
    return firstValue.length > 0 && input.lifecycle.firstValueEvents.length > 0 ? settle(BASELINE, firstValue) : noData;
  }
  return settle(BASELINE, [
    ...seatFactor(input),
    ...recencyFactor(input),
    ...breadthFactor(input),
    ...trendFactor(input),
    ...firstValue,
  ]);
}

function seats(state: CustomerState): number | null {
  if (state.usage.seats && state.usage.seats.value > 0) return state.usage.seats.value;
  const quantities = Object.values(state.billing.subscriptions)
    .filter((s) => isLiveOrTrial(s) && s.quantity !== undefined)
    .reduce((n, s) => n + (s.quantity ?? 0), 0);
  return quantities > 0 ? quantities : null;
}

function seatFactor({ state, now, params }: UsageInput): Factor[] {
  const total = seats(state);
  if (total === null) return [];
  const active = activeUsers(state, now, params.activeWindowDays);
  const share = Math.min(1, active / total);
  return [
    {
      factor: "usage.seats",
      delta: clamp((share - params.targetSeatShare) * 40, -20, 10),
      detail: `${active} of ${plural(total, "seat")} active in the last ${params.activeWindowDays} days`,
    },
  ];
}

/** Distinct users seen on the UTC days overlapping the last `days` days up to `now` (per-day sketches merged). */
export function activeUsers(state: CustomerState, now: number, days: number): number {
  const from = isoDay(now - days * DAY);
  const to = isoDay(now);
  const sketches = Object.entries(state.usage.days)
    .filter(([day]) => day >= from && day <= to)
    .map(([, d]) => d.u);
  return sketches.length === 0 ? 0 : sketchCount(mergeSketches(sketches));
}

function lastActivity(state: CustomerState): number | null {
  const times = Object.values(state.usage.events).map((e) => e.lastAt);
  if (state.usage.lastSeenAt !== undefined) times.push(state.usage.lastSeenAt);
  return times.length ? Math.max(...times) : null;
}

function recencyFactor({ state, now }: UsageInput): Factor[] {
  const last = lastActivity(state);
  if (last === null) return [];
  const idle = daysBetween(last, now);
  const delta = idle <= 3 ? 5 : idle <= 7 ? 0 : idle <= 14 ? -10 : idle <= 30 ? -20 : -35;
  const detail = idle <= 7 ? `last active ${ago(last, now)}` : `no activity for ${plural(idle, "day")}`;
  return [{ factor: "usage.recency", delta, detail }];
}

/** Core features used in the window against the configured list; without a list, distinct events against twice the threshold. */
function breadthFactor({ state, now, params, lifecycle }: UsageInput): Factor[] {
  const since = now - params.activeWindowDays * DAY;
  const used = Object.entries(state.usage.events).filter(([, e]) => e.lastAt >= since && e.firstAt <= now);
  const core = new Set(lifecycle.coreFeatures);
  const configured = core.size > 0;
  const count = configured ? used.filter(([name]) => core.has(name)).length : used.length;
  const target = configured ? core.size : 2 * coreThreshold(lifecycle);
  const share = Math.min(1, count / target);
  const detail = configured
    ? `uses ${count} of ${plural(core.size, "core feature")} (last ${params.activeWindowDays} days)`
    : `${plural(count, "distinct feature")} used in the last ${params.activeWindowDays} days`;
  return [{ factor: "usage.breadth", delta: clamp((share - params.targetBreadth) * 30, -15, 15), detail }];
}

/** Active user-days (per-day distinct users summed) in the 30 days up to `now`, and in the 30 before. */
export function userDays(state: CustomerState, now: number): { recent: number; previous: number } {
  const today = Date.parse(isoDay(now));
  let recent = 0;
  let previous = 0;
  for (const [key, day] of Object.entries(state.usage.days)) {
    const age = Math.round((today - Date.parse(key)) / DAY);
    if (age >= 0 && age < 30) recent += sketchCount(day.u);
    else if (age >= 30 && age < 60) previous += sketchCount(day.u);
  }
  return { recent, previous };
}

/** Active user-days in the last 30 days against the 30 before. */
function trendFactor({ state, now }: UsageInput): Factor[] {
  const { recent, previous } = userDays(state, now);
  if (previous < 5) return [];
  const change = (recent - previous) / previous;
  if (Math.abs(change) < 0.1) return [];
  const pct = Math.round(Math.abs(change) * 100);
  return [
    {
      factor: "usage.trend",
      delta: clamp(change * 20, -20, 10),
      detail: `active user-days ${change < 0 ? "down" : "up"} ${pct}% on the previous 30 days`,
    },
  ];
}

function firstValueFactor({ stage, params, now }: UsageInput): Factor[] {
  const ob = stage.onboarding;
  if (!ob.firstValueMissed || ob.onboardingComplete) return [];
  if (stage.stage !== "purchase" && stage.stage !== "onboarding") return [];
  const detail =
    ob.firstValueAt === null
      ? `no first value yet, purchased ${ago(ob.purchasedAt ?? now, now)}`
      : `first value came ${Math.round((ob.timeToFirstValueMs ?? 0) / 3_600_000)} h after purchase`;
  return [{ factor: "usage.first_value_missed", delta: -params.firstValueMissedPenalty, detail }];
}
