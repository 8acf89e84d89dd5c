import { auc } from "./backtest";
import { aucInterval, fitLogistic, predictLogit } from "./calibrate-fit";
import { buildRows, timeSplit, type CalibrationHistory, type CalibrationRow } from "./calibrate-split";
import { bandFor, componentNames, type Band, type HealthModel, type Weights } from "./health";

export type { CalibrationHistory } from "./calibrate-split";

/**
 * Calibration: fits the component weights to the deployment's own history. A regularised logistic regression
 * of "churned within the horizon" on the component scores and two trend features, fitted on the earlier
 * snapshots; each component's (negated) coefficient becomes its weight, so the score and its drivers keep
 * their meaning and words. The candidate is then judged as it would score (its weights over the components)
 * on the later snapshots only, beside the model in force on the same snapshots.
 */

/** Churn events (distinct customers) needed on each side of the split before anything is proposed. */
export const MIN_FIT_CHURNERS = 20;
export const MIN_EVALUATION_CHURNERS = 10;

export interface CalibrationEvaluation {
  auc: number;
  aucInterval: [number, number];
  /** The model in force, on the same evaluation snapshots. */
  baselineAuc: number | null;
  /** Churn rate per band of the candidate on the evaluation snapshots (null where a band holds none). */
  churnRateByBand: Record<Band, number | null>;
  samplesByBand: Record<Band, number>;
  /** Evaluation snapshots, and how many of them were followed by churn. */
  samples: number;
  churned: number;
  fitSamples: number;
  fitChurned: number;
  /** Snapshots at or after this instant are evaluated; the fit only saw outcomes known before it. */
  cutoff: number;
  censored: number;
  /** The fitted log-odds per point of each feature (negative: higher means less churn). */
  coefficients: Record<string, number>;
  /** The regression with its trend features, for comparison (the candidate's score does not use them). */
  regressionAuc: number | null;
}

export type CalibrationResult =
  | { ok: true; weights: Weights; evaluation: CalibrationEvaluation }
  | { ok: false; reason: string; needed: number; fitChurned: number; evaluationChurned: number; samples: number };

const FEATURES = [...componentNames, "scoreTrend", "usageTrend"] as const;

export function calibrate(
  histories: readonly CalibrationHistory[],
  opts: { horizonDays: number; stepDays: number; until: number; bands: HealthModel["bands"] },
): CalibrationResult {
  const { rows, censored } = buildRows(histories, opts);
  const split = timeSplit(rows, opts.horizonDays);
  const fitChurned = churners(split.fit);
  const evaluationChurned = churners(split.evaluation);
  const needed = Math.max(0, MIN_FIT_CHURNERS - fitChurned) + Math.max(0, MIN_EVALUATION_CHURNERS - evaluationChurned);
  const negatives = split.evaluation.filter((r) => !r.churned).length;
  if (needed > 0 || negatives === 0 || split.fit.every((r) => r.churned)) {
    return {
      ok: false,
      reason:
        `Too few churn events to calibrate: ${MIN_FIT_CHURNERS} churned customers are needed among the earlier snapshots and ` +
        `${MIN_EVALUATION_CHURNERS} among the later ones (horizon ${opts.horizonDays} days); there are ${fitChurned} and ${evaluationChurned}.`,
      needed: Math.max(needed, 1),
      fitChurned,
      evaluationChurned,
      samples: rows.length,
    };
  }
  const means = componentMeans(split.fit);
  const features = (r: CalibrationRow) => [...r.components.map((c, j) => (c ?? means[j]!) / 100), r.scoreTrend / 100, r.usageTrend / 100];
  const fitted = fitLogistic(split.fit.map(features), split.fit.map((r) => r.churned));
  const raw = componentNames.map((_, j) => Math.max(0, -fitted.coefficients[j]!));
  const total = raw.reduce((a, b) => a + b, 0);
  if (total === 0) {
    return { ok: false, reason: "No component's score predicts churn in this history: nothing to propose.", needed: 0, fitChurned, evaluationChurned, samples: rows.length };
  }
  const weights = Object.fromEntries(componentNames.map((c, j) => [c, Math.round((raw[j]! / total) * 1000) / 10])) as Weights;
  const candidate = split.evaluation.map((r) => ({ score: scoreWith(weights, r.components), churned: r.churned }));
  const a = auc(candidate)!;
  const positives = candidate.filter((s) => s.churned).length;
  return {
    ok: true,
    weights,
    evaluation: {
      auc: a,
      aucInterval: aucInterval(a, positives, candidate.length - positives),
      baselineAuc: auc(split.evaluation.map((r) => ({ score: r.score, churned: r.churned }))),
      ...byBand(candidate, opts.bands),
      samples: candidate.length,
      churned: positives,
      fitSamples: split.fit.length,
      fitChurned,
      cutoff: split.cutoff,
      censored,
      coefficients: Object.fromEntries(FEATURES.map((f, j) => [f, round(fitted.coefficients[j]! / 100, 5)])),
      regressionAuc: auc(split.evaluation.map((r) => ({ score: -predictLogit(fitted, features(r)), churned: r.churned }))),
    },
  };
}

/** The health score's own formula: the weighted mean of the components that have data (50 when none do). */
export function scoreWith(weights: Weights, components: readonly (number | null)[]): number {
  let sum = 0;
  let weight = 0;
  componentNames.forEach((c, j) => {
    const v = components[j];
    if (v === null || v === undefined || weights[c] <= 0) return;
    sum += weights[c] * v;
    weight += weights[c];
  });
  return weight > 0 ? Math.round(sum / weight) : 50;
}

function churners(rows: readonly CalibrationRow[]): number {
  return new Set(rows.filter((r) => r.churned).map((r) => r.customerId)).size;
}

function componentMeans(rows: readonly CalibrationRow[]): number[] {
  return componentNames.map((_, j) => {
    const present = rows.map((r) => r.components[j]).filter((v): v is number => v !== null);
    return present.length ? present.reduce((a, b) => a + b, 0) / present.length : 50;
  });
}

function byBand(samples: readonly { score: number; churned: boolean }[], bands: HealthModel["bands"]) {
  const n: Record<Band, number> = { green: 0, yellow: 0, red: 0 };
  const churned: Record<Band, number> = { green: 0, yellow: 0, red: 0 };
  for (const s of samples) {
    const b = bandFor(s.score, bands);
    n[b]++;
    if (s.churned) churned[b]++;
  }
  const rate = (b: Band) => (n[b] === 0 ? null : churned[b] / n[b]);
  return { churnRateByBand: { green: rate("green"), yellow: rate("yellow"), red: rate("red") }, samplesByBand: n };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
