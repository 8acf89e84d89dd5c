import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { CALIBRATION_SAMPLE, emptySample, foldSample, takeSample } from "../core/calibrate-sample";
import { buildRows, type CalibrationRow } from "../core/calibrate-split";
import { loadConfig, type Env } from "../env";
import { AppError, notFound } from "../errors";
import { MAX_REPLAY_CUSTOMERS, customerPages } from "../history";
import { sendJobs } from "../jobs/enqueue";
import { proposeCalibration, type CalibrationProposal } from "../jobs/model-calibrate";
import { loadCalibrationPage } from "../store/calibration-history";
import { insertCalibrationRun, loadCalibrationRun, type CalibrationRunOptions } from "../store/model-calibration-runs";
import { activeModel } from "../store/model-versions";
import { requireAdmin } from "./auth";
import { API_ACTOR } from "./model-versions";

/** Fits component weights to the deployment's own churn history; the result is a candidate version, never active. */
export const modelCalibrate = new Hono<{ Bindings: Env }>();
modelCalibrate.use("*", requireAdmin);

export const calibrateBody = z.object({
  horizonDays: z.number().int().min(7).max(365).default(90),
  stepDays: z.number().int().min(1).max(90).default(7),
  note: z.string().max(500).optional(),
  /** Run as a chain of pages on the queue even when one request could read every customer. */
  paged: z.boolean().default(false),
});

const runIdSchema = z.string().regex(/^cr_[a-z0-9]{1,40}$/);

modelCalibrate.post("/model/calibrate", async (c) => {
  const body = calibrateBody.parse(await c.req.json().catch(() => ({})));
  const r = await calibrateModel(c.env, body, API_ACTOR, Date.now());
  return c.json(r, r.status === "running" ? 202 : 201);
});

modelCalibrate.get("/model/calibrate/:runId", async (c) => {
  const p = runIdSchema.safeParse(c.req.param("runId"));
  const run = p.success ? await loadCalibrationRun(c.env.DB, p.data) : null;
  if (!run) throw notFound(`Calibration ${c.req.param("runId")}`);
  const result = run.result as CalibrationProposal | null;
  return c.json({
    runId: run.id,
    status: run.status,
    horizonDays: run.options.horizonDays,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    customersRead: run.sample.customers,
    rowsRead: run.sample.rows,
    ...(result && result.ok ? { id: result.id, parent: result.parent, weights: result.weights, evaluation: result.evaluation } : {}),
    ...(result && !result.ok ? { refusal: result } : {}),
  });
});

/**
 * Up to MAX_REPLAY_CUSTOMERS customers (and without `paged`) it fits at once and answers with the stored
 * candidate; too few churn events: 422 with how many more are needed, and nothing stored. Beyond, it starts a
 * paged run on the events queue (src/jobs/model-calibrate.ts) and answers with its id, polled with
 * GET /api/model/calibrate/:runId. Both fit on the same bounded, page-independent sample.
 */
export async function calibrateModel(env: Env, body: z.output<typeof calibrateBody>, actor: string, now: number) {
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const active = await activeModel(env.DB, base.health);
  const options: CalibrationRunOptions = { horizonDays: body.horizonDays, stepDays: body.stepDays, until: now, sampleSize: CALIBRATION_SAMPLE, ...(body.note ? { note: body.note } : {}) };
  const total = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())?.n ?? 0;
  if (body.paged || total > MAX_REPLAY_CUSTOMERS) {
    const runId = `cr_${now.toString(36)}${randomHex()}`;
    await insertCalibrationRun(env.DB, { id: runId, status: "running", cursor: "", options, sample: emptySample(), result: null, activeId: active.id, actor, startedAt: now, updatedAt: now });
    await sendJobs(env.EVENTS, [{ job: "model-calibrate", runId }]);
    return { status: "running" as const, runId, totalCustomers: total };
  }
  let sample = emptySample();
  const stored: CalibrationRow[] = [];
  for await (const ids of customerPages(env.DB, MAX_REPLAY_CUSTOMERS)) {
    const page = buildRows(await loadCalibrationPage(env.DB, ids), options);
    const folded = foldSample(sample, { ...page, customers: ids.length }, options.sampleSize);
    sample = folded.state;
    stored.push(...folded.kept);
  }
  const r = await proposeCalibration(env, takeSample(stored, sample, options.sampleSize), sample, options, { actor, activeId: active.id }, now);
  if (!r.ok) {
    throw new AppError(422, "too_few_churn_events", r.reason, { needed: r.needed, fitChurned: r.fitChurned, evaluationChurned: r.evaluationChurned, samples: r.samples });
  }
  return { status: "done" as const, id: r.id, active: false, parent: r.parent, weights: r.weights, evaluation: r.evaluation };
}

const randomHex = () => [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");
