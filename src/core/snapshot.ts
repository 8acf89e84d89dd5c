import type { TenureConfig } from "./config";
import { scoreHealth, type Band, type HealthModel, type HealthScore } from "./health";
import { stageOf, type StageResult } from "./lifecycle";
import type { Snapshot } from "./plan";
import { segments } from "./segments";
import type { CustomerState } from "./state";
import { isLive, liveMrrByCurrency, primaryMrr } from "./subscriptions";

export interface Scored {
  health: HealthScore;
  stage: StageResult;
  snapshot: Snapshot;
}

/** Live MRR in the customer's main currency: see src/core/subscriptions.ts (never a sum across currencies). */
export function currentMrr(state: CustomerState): { mrr: number; currency?: string } {
  return primaryMrr(state);
}

export function renewalDate(state: CustomerState): number | null {
  const ends = Object.values(state.billing.subscriptions)
    .filter((s) => isLive(s) && s.currentPeriodEnd)
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
  const unweighted = scoreHealth(state, now, cfg.health, previousBand, { lifecycle: cfg.lifecycle, stage });
  const segs = segments(state, unweighted, stage, now, cfg.segments);
  // Segment overrides change weights only; components (what segments read) stay the same, so one pass settles it.
  const health = hasSegmentOverride(cfg.health)
    ? scoreHealth(state, now, cfg.health, previousBand, { lifecycle: cfg.lifecycle, stage, segments: segs })
    : unweighted;
  const { mrr, currency } = currentMrr(state);
  const byCurrency = liveMrrByCurrency(state);
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
      mrrByCurrency: byCurrency.mrr,
      mrrUnknownItems: byCurrency.unknownItems,
      renewalDate: renewalDate(state),
    },
  };
}

function hasSegmentOverride(model: HealthModel): boolean {
  return model.overrides.some((o) => (o.when.segment?.length ?? 0) > 0);
}
