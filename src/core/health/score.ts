import { type LifecycleConfig, type Stage, type StageResult, defaultLifecycleConfig, stageOf } from "../lifecycle";
import type { CustomerState } from "../state";
import { scoreBilling } from "./billing";
import type { ComponentResult } from "./factors";
import { type Band, type ComponentName, type HealthModel, type Weights, componentNames } from "./model";
import { scoreRelationship } from "./relationship";
import { scoreSentiment } from "./sentiment";
import { scoreSupport } from "./support";
import { scoreTrends } from "./trends";
import { scoreUsage } from "./usage";

export interface Driver {
  factor: string;
  /** Signed points this factor moved the overall score by, relative to its component's neutral baseline. */
  impact: number;
  detail: string;
  component: ComponentName;
}

export interface HealthScore {
  /** 0..100, an integer. */
  score: number;
  band: Band;
  /** Each 0..100 (integer), or null without data. */
  components: Record<ComponentName, number | null>;
  drivers: Driver[];
  /** Share of the (effective) total weight whose component had data, 0..1. */
  coverage: number;
  modelVersion: string;
  /** Effective weights after overrides, as shares summing to 1 (all zero if every weight is zero). */
  weights: Weights;
  /** Names (or indexes) of the overrides that applied. */
  overrides: string[];
  stage: Stage;
}

/** What scoring may know beyond the state. Without `stage` it is derived with `lifecycle` (or its defaults). */
export interface HealthContext {
  lifecycle?: LifecycleConfig;
  stage?: StageResult;
  /** Segments for segment-conditioned overrides; only score-independent segments make sense here. */
  segments?: readonly string[];
}

export function scoreHealth(
  state: CustomerState,
  now: number,
  model: HealthModel,
  previousBand?: Band,
  ctx: HealthContext = {},
): HealthScore {
  const lifecycle = ctx.lifecycle ?? defaultLifecycleConfig;
  const stage = ctx.stage ?? stageOf(state, now, lifecycle);
  const { weights, applied } = effectiveWeights(model, stage.stage, ctx.segments ?? []);
  const results: Record<ComponentName, ComponentResult> = {
    billing: scoreBilling(state, now, model.billing),
    support: scoreSupport(state, now, model.support),
    usage: scoreUsage({ state, now, params: model.usage, lifecycle, stage }),
    sentiment: scoreSentiment(state, now, model.sentiment),
    relationship: scoreRelationship(state, now, model.relationship, lifecycle),
    ...scoreTrends(state, now),
  };
  const total = sumWeights(weights, componentNames);
  const present = componentNames.filter((c) => results[c].score !== null && weights[c] > 0);
  const presentWeight = sumWeights(weights, present);
  const raw =
    presentWeight > 0
      ? present.reduce((s, c) => s + weights[c] * (results[c].score as number), 0) / presentWeight
      : model.noDataScore;
  const score = Math.round(raw);
  return {
    score,
    band: bandFor(score, model.bands, previousBand),
    components: mapComponents((c) => (results[c].score === null ? null : Math.round(results[c].score as number))),
    drivers: presentWeight > 0 ? drivers(results, present, weights, presentWeight, model.maxDrivers) : [],
    coverage: total > 0 ? round(presentWeight / total, 3) : 0,
    modelVersion: model.version,
    weights: mapComponents((c) => (total > 0 ? round(weights[c] / total, 4) : 0)),
    overrides: applied,
    stage: stage.stage,
  };
}

export function effectiveWeights(
  model: HealthModel,
  stage: Stage,
  segments: readonly string[],
): { weights: Weights; applied: string[] } {
  const weights: Weights = { ...model.weights };
  const applied: string[] = [];
  model.overrides.forEach((o, i) => {
    const byStage = !o.when.stage || o.when.stage.includes(stage);
    const bySegment = !o.when.segment || o.when.segment.some((s) => segments.includes(s));
    if (!byStage || !bySegment) return;
    for (const c of componentNames) weights[c] = o.weights?.[c] ?? weights[c];
    applied.push(o.name ?? `override ${i}`);
  });
  return { weights, applied };
}

/**
 * Band from thresholds, with hysteresis: leaving `previous` needs the score past the threshold by the
 * margin, so thresholds between the previous band and the score move away from the previous band.
 */
export function bandFor(score: number, bands: HealthModel["bands"], previous?: Band): Band {
  const m = previous ? bands.hysteresis : 0;
  const red = previous === "red" ? bands.red + m : bands.red - m;
  const green = previous === "green" ? bands.green - m : bands.green + m;
  if (score < red) return "red";
  if (score > green) return "green";
  return "yellow";
}

function drivers(
  results: Record<ComponentName, ComponentResult>,
  present: ComponentName[],
  weights: Weights,
  presentWeight: number,
  max: number,
): Driver[] {
  // A trend component can restate a fact another component weighs ("active user-days down 40% ..."): one driver.
  const byDetail = new Map<string, Driver>();
  for (const c of present) {
    for (const f of results[c].factors) {
      const impact = (f.delta * weights[c]) / presentWeight;
      const same = byDetail.get(f.detail);
      if (same) same.impact += impact;
      else byDetail.set(f.detail, { factor: f.factor, impact, detail: f.detail, component: c });
    }
  }
  return [...byDetail.values()]
    .map((d) => ({ ...d, impact: round(d.impact, 1) }))
    .filter((d) => d.impact !== 0)
    .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact) || (a.factor < b.factor ? -1 : a.factor > b.factor ? 1 : 0))
    .slice(0, max);
}

function mapComponents<T>(f: (c: ComponentName) => T): Record<ComponentName, T> {
  return Object.fromEntries(componentNames.map((c) => [c, f(c)])) as Record<ComponentName, T>;
}

function sumWeights(weights: Weights, names: readonly ComponentName[]): number {
  return names.reduce((s, c) => s + weights[c], 0);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}
