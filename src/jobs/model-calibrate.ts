import { tenureConfig } from "../config";
import { calibrateRows, type CalibrationEvaluation, type CalibrationResult } from "../core/calibrate";
import { foldSample, sampleThreshold, takeSample, type SampleState } from "../core/calibrate-sample";
import { buildRows, type CalibrationRow } from "../core/calibrate-split";
import { loadConfig, type Env } from "../env";
import { customerPages } from "../history";
import { createModelVersion } from "../routes/model-versions";
import { loadCalibrationPage } from "../store/calibration-history";
import {
  finishCalibrationRun,
  loadCalibrationRows,
  loadCalibrationRun,
  saveCalibrationPage,
  type CalibrationRunOptions,
} from "../store/model-calibration-runs";
import { activeModel, loadVersion } from "../store/model-versions";
import type { ModelCalibrateJob } from "./messages";

/** Customers per page (at most the customer pager's page): one query for their states, one per 90 for their timelines. */
export const CALIBRATE_PAGE = 100;

/**
 * One page of a paged calibration: the next customers' rows folded into the run's bounded sample. The last
 * page fits on the sample and stores the candidate version (or the refusal). Idempotent: a page is saved only
 * if the run's cursor is still where it started. `pageSize` is a parameter so a test can show that the page
 * boundaries do not change the fit.
 */
export async function modelCalibratePage(env: Env, job: ModelCalibrateJob, now: number, pageSize = CALIBRATE_PAGE): Promise<ModelCalibrateJob | null> {
  const run = await loadCalibrationRun(env.DB, job.runId);
  if (!run || run.status !== "running") return null;
  const from = run.cursor;
  const size = Math.min(pageSize, CALIBRATE_PAGE);
  const ids = (await customerPages(env.DB, size, undefined, from).next()).value ?? [];
  const page = rowsOf(await loadCalibrationPage(env.DB, ids), run.options);
  const { state, kept } = foldSample(run.sample, { ...page, customers: ids.length }, run.options.sampleSize);
  const cursor = ids.at(-1) ?? from;
  const limit = sampleThreshold(state, run.options.sampleSize);
  const threshold = Number.isFinite(limit) ? limit : null;
  const saved = ids.length > 0 ? await saveCalibrationPage(env.DB, { id: run.id, fromCursor: from, cursor, sample: state, kept, threshold, at: now }) : true;
  if (!saved) return null;
  if (ids.length === size) return job;
  const rows = takeSample(await loadCalibrationRows(env.DB, run.id), state, run.options.sampleSize);
  const result = await proposeCalibration(env, rows, state, run.options, { actor: run.actor, activeId: run.activeId }, now);
  await finishCalibrationRun(env.DB, { id: run.id, cursor, status: result.ok ? "done" : "refused", result, at: now });
  return null;
}

function rowsOf(histories: Awaited<ReturnType<typeof loadCalibrationPage>>, o: CalibrationRunOptions) {
  return buildRows(histories, { horizonDays: o.horizonDays, stepDays: o.stepDays, until: o.until });
}

export type ProposalEvaluation = CalibrationEvaluation & {
  horizonDays: number;
  /** Customers read, and every row built from them; the fit saw `sampledRows` of those rows. */
  customers: number;
  rows: number;
  sampledRows: number;
  overridesDropped: number;
  fittedFrom: string;
};

export type CalibrationProposal =
  | { ok: true; id: string; parent: string; weights: Record<string, number>; evaluation: ProposalEvaluation }
  | (Extract<CalibrationResult, { ok: false }> & { customers: number });

/**
 * Fits on the sampled rows and, when there is enough churn to say anything, stores the candidate version with
 * its evaluation (never active). The same for a calibration answered at once and for a paged one.
 */
export async function proposeCalibration(
  env: Env,
  rows: CalibrationRow[],
  sample: SampleState,
  o: CalibrationRunOptions,
  by: { actor: string; activeId: string },
  now: number,
): Promise<CalibrationProposal> {
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const fittedFrom = (await loadVersion(env.DB, by.activeId, base.health)) ?? (await activeModel(env.DB, base.health));
  const result = calibrateRows(rows, sample.censored, { horizonDays: o.horizonDays, bands: fittedFrom.model.bands });
  if (!result.ok) return { ...result, customers: sample.customers };
  const { version: _label, ...rest } = fittedFrom.model;
  const evaluation: ProposalEvaluation = {
    ...result.evaluation,
    horizonDays: o.horizonDays,
    customers: sample.customers,
    rows: sample.rows,
    sampledRows: rows.length,
    overridesDropped: rest.overrides.length,
    fittedFrom: fittedFrom.id,
  };
  // Overrides re-weight some stages by hand; the fitted weights are judged without them, so the candidate runs without them too.
  const model = { ...rest, weights: result.weights, overrides: [] };
  const note = o.note ?? `Calibrated on ${sample.customers} customers, ${o.horizonDays}-day churn; out-of-sample AUC ${result.evaluation.auc.toFixed(3)}.`;
  const version = await createModelVersion(env, { model, note, parent: fittedFrom.id, author: by.actor, evaluation }, now);
  return { ok: true, id: version.id, parent: version.parent!, weights: result.weights, evaluation };
}

