import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { calibrate, type CalibrationHistory } from "../core/calibrate";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { MAX_REPLAY_CUSTOMERS, customerPages } from "../history";
import { loadCalibrationPage } from "../store/calibration-history";
import { activeModel } from "../store/model-versions";
import { requireAdmin } from "./auth";
import { API_ACTOR, createModelVersion } from "./model-versions";

/** Fits component weights to the deployment's own churn history; the result is a candidate version, never active. */
export const modelCalibrate = new Hono<{ Bindings: Env }>();
modelCalibrate.use("*", requireAdmin);

export const calibrateBody = z.object({
  horizonDays: z.number().int().min(7).max(365).default(90),
  stepDays: z.number().int().min(1).max(90).default(7),
  note: z.string().max(500).optional(),
});

modelCalibrate.post("/model/calibrate", async (c) => {
  const body = calibrateBody.parse(await c.req.json().catch(() => ({})));
  return c.json(await calibrateModel(c.env, body, API_ACTOR, Date.now()), 201);
});

/**
 * Reads at most MAX_REPLAY_CUSTOMERS customers' timelines (pages of 100), fits, and stores the candidate
 * version with its evaluation. Too few churn events: 422 with how many more are needed, and nothing stored.
 */
export async function calibrateModel(env: Env, body: z.output<typeof calibrateBody>, actor: string, now: number) {
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const active = await activeModel(env.DB, base.health);
  const histories: CalibrationHistory[] = [];
  for await (const ids of customerPages(env.DB, MAX_REPLAY_CUSTOMERS)) histories.push(...(await loadCalibrationPage(env.DB, ids)));
  const capped = histories.length >= MAX_REPLAY_CUSTOMERS;
  const result = calibrate(histories, { horizonDays: body.horizonDays, stepDays: body.stepDays, until: now, bands: active.model.bands });
  if (!result.ok) {
    throw new AppError(422, "too_few_churn_events", result.reason, {
      needed: result.needed,
      fitChurned: result.fitChurned,
      evaluationChurned: result.evaluationChurned,
      samples: result.samples,
    });
  }
  const { version: _label, ...rest } = active.model;
  const evaluation = { ...result.evaluation, horizonDays: body.horizonDays, customers: histories.length, capped, overridesDropped: rest.overrides.length, fittedFrom: active.id };
  // Overrides re-weight some stages by hand; the fitted weights are judged without them, so the candidate runs without them too.
  const model = { ...rest, weights: result.weights, overrides: [] };
  const note = body.note ?? `Calibrated on ${histories.length} customers, ${body.horizonDays}-day churn; out-of-sample AUC ${result.evaluation.auc.toFixed(3)}.`;
  const version = await createModelVersion(env, { model, note, parent: active.id, author: actor, evaluation }, now);
  return { id: version.id, active: false, parent: version.parent, weights: result.weights, evaluation };
}
