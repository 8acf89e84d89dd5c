import { auc } from "./backtest";
import { aucInterval, fitLogistic, predictLogit } from "./calibrate-fit";
import { buildRows, timeSplit, type CalibrationHistory, type CalibrationRow } from "./calibrate-split";

export type { CalibrationRow } from "./calibrate-split";
import { bandFor, componentNames, type Band, type HealthModel, type Weights } from "./health";

export type { CalibrationHistory } from "./calibrate-split";

/**
 * Calibration: fits the component weights to the deployment's own history. A regularised logistic regression
 * of "churned within the horizon" on the component scores (the trend components among them), fitted on the
 * earlier snapshots; each component's (negated) coefficient becomes its weight, so the score and its drivers
 * keep their meaning and words. The ridge strength is chosen on a validation fold carved from the end of the
 * fit period (never from the evaluation period). The candidate is then judged as it would score (its weights
 * over the components) on the later snapshots only, beside the model in force on the same snapshots.
 */

/** Churn events (distinct customers) needed on each side of the split before anything is proposed. */
export const MIN_FIT_CHURNERS = 20;
export const MIN_EVALUATION_CHURNERS = 10;

/** Ridge strengths tried on the validation fold (on standardised features). */
export const LAMBDAS = [0.0003, 0.003, 0.03, 0.3, 3] as const;
const DEFAULT_LAMBDA = 0.03;

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
  /** The candidate's AUC on the snapshots it was fitted on: far above `auc` means it learnt noise. */
  fitAuc: number | null;
  /** Snapshots at or after this instant are evaluated; the fit only saw outcomes known before it. */
  cutoff: number;
  censored: number;
  /** The fitted log-odds per point of each component (negative: higher means less churn). */
  coefficients: Record<string, number>;
  /** The ridge strength chosen, and the candidate's AUC on the validation fold with it (null: too few churners there). */
  lambda: number;
  validationAuc: number | null;
  /** The regression itself (missing components at their mean) on the evaluation snapshots, for comparison. */
  regressionAuc: number | null;
}

export type CalibrationResult =
  | { ok: true; weights: Weights; evaluation: CalibrationEvaluation }
  | { ok: false; reason: string; needed: number; fitChurned: number; evaluationChurned: number; samples: number };

export function calibrate(
  histories: readonly CalibrationHistory[],
  opts: { horizonDays: number; stepDays: number; until: number; bands: HealthModel["bands"] },
): CalibrationResult {
  const { rows, censored } = buildRows(histories, opts);
  return calibrateRows(rows, censored, opts);
}

/** The same as `calibrate`, on rows already built (the paged job builds them a page at a time). */
export function calibrateRows(rows: readonly CalibrationRow[], censored: number, opts: { horizonDays: number; bands: HealthModel["bands"] }): CalibrationResult {
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
  const { lambda, validationAuc } = chooseLambda(split.fit, opts.horizonDays);
  const fitted = fitRows(split.fit, lambda);
  const weights = weightsFrom(fitted.coefficients);
  if (!weights) {
    return { ok: false, reason: "No component's score predicts churn in this history: nothing to propose.", needed: 0, fitChurned, evaluationChurned, samples: rows.length };
  }
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
      fitAuc: auc(split.fit.map((r) => ({ score: scoreWith(weights, r.components), churned: r.churned }))),
      cutoff: split.cutoff,
      censored,
      coefficients: Object.fromEntries(componentNames.map((c, j) => [c, round(fitted.coefficients[j]!, 5)])),
      lambda,
      validationAuc,
      regressionAuc: auc(split.evaluation.map((r) => ({ score: -predictLogit(fitted, fitted.features(r)), churned: r.churned }))),
    },
  };
}

/**
 * The ridge strength whose candidate ranks the validation fold best: the fit period is split again in time
 * (the same rule as the outer split), fitted on its earlier part and judged on its later part. Ties keep the
 * stronger ridge. Too few churners in either part: the default strength.
 */
export function chooseLambda(fit: readonly CalibrationRow[], horizonDays: number): { lambda: number; validationAuc: number | null } {
  const inner = timeSplit(fit, horizonDays);
  if (churners(inner.fit) < MIN_EVALUATION_CHURNERS || churners(inner.evaluation) < MIN_EVALUATION_CHURNERS) return { lambda: DEFAULT_LAMBDA, validationAuc: null };
  let best: { lambda: number; validationAuc: number | null } = { lambda: DEFAULT_LAMBDA, validationAuc: null };
  for (const lambda of LAMBDAS) {
    const weights = weightsFrom(fitRows(inner.fit, lambda).coefficients);
    if (!weights) continue;
    const a = auc(inner.evaluation.map((r) => ({ score: scoreWith(weights, r.components), churned: r.churned })));
    if (a !== null && (best.validationAuc === null || a >= best.validationAuc)) best = { lambda, validationAuc: a };
  }
  return best;
}

/** The regression on the components, each missing one at the fit rows' mean of it. */
function fitRows(rows: readonly CalibrationRow[], lambda: number) {
  const means = componentMeans(rows);
  const features = (r: CalibrationRow) => r.components.map((c, j) => c ?? means[j]!);
  return { ...fitLogistic(rows.map(features), rows.map((r) => r.churned), lambda), features };
}

/** Weights (summing to 100, 0.1 steps) from the per-point coefficients: only a component whose higher score means less churn gets weight. */
function weightsFrom(coefficients: readonly number[]): Weights | null {
  const raw = componentNames.map((_, j) => Math.max(0, -coefficients[j]!));
  const total = raw.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  return Object.fromEntries(componentNames.map((c, j) => [c, Math.round((raw[j]! / total) * 1000) / 10])) as Weights;
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
