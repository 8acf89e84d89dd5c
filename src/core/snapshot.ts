import type { TenureConfig } from "./config";
import { scoreHealth, type Band, type HealthScore } from "./health";
import { stageOf, type StageResult } from "./lifecycle";
import type { Snapshot } from "./plan";
import { segments } from "./segments";
import type { CustomerState } from "./state";

export interface Scored {
  health: HealthScore;
  stage: StageResult;
  snapshot: Snapshot;
}

const ENDED = new Set(["canceled", "incomplete_expired"]);

export function currentMrr(state: CustomerState): { mrr: number; currency?: string } {
  let mrr = 0;
  let currency = state.profile.currency;
  for (const sub of Object.values(state.billing.subscriptions)) {
    if (ENDED.has(sub.status)) continue;
    mrr += sub.mrr;
    currency ??= sub.currency;
  }
  return { mrr, currency };
}

export function renewalDate(state: CustomerState): number | null {
  const ends = Object.values(state.billing.subscriptions)
    .filter((s) => !ENDED.has(s.status) && s.currentPeriodEnd)
    .map((s) => s.currentPeriodEnd!);
  return ends.length ? Math.min(...ends) : null;
}

/** Scores a state: health, stage and the snapshot the planner diffs. Pure. */
export function scoreCustomer(
  state: CustomerState,
  now: number,
  cfg: TenureConfig,
  previousBand: Band | undefined,
  trend: { d7: number | null; d30: number | null },
): Scored {
  const stage = stageOf(state, now, cfg.lifecycle);
  const health = scoreHealth(state, now, cfg.health, previousBand, { lifecycle: cfg.lifecycle, stage });
  const { mrr, currency } = currentMrr(state);
  const segs = segments(state, health, stage, now, cfg.segments);
  return {
    health,
    stage,
    snapshot: {
      score: health.score,
      band: health.band,
      stage: stage.stage,
      stageSince: stage.since,
      drivers: health.drivers,
      modelVersion: health.modelVersion,
      trend,
      segments: segs,
      onboardingStatus: stage.onboarding.status,
      firstValueMissed: stage.onboarding.firstValueMissed,
      mrr,
      currency,
      renewalDate: renewalDate(state),
    },
  };
}
