import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { backtest } from "../core/backtest";
import { healthModelSchema } from "../core/health";
import { loadConfig, type Env } from "../env";
import { MAX_REPLAY_CUSTOMERS, customerPages, historyFromState, historyFromTimeline, loadReplayPage, type ReplayedHistory } from "../history";
import { recomputeAll } from "../recompute";
import { scoresAsOf } from "../store/timeline";
import { activeModel, activeTenureConfig } from "../store/model-versions";
import { requireAdmin } from "./auth";
import { modelCalibrate } from "./model-calibrate";
import { modelVersions } from "./model-versions";

export const model = new Hono<{ Bindings: Env }>();
model.use("*", requireAdmin);

const instant = z.union([z.number().int().nonnegative(), z.iso.datetime().transform((s) => Date.parse(s))]);

model.route("/", modelVersions);
model.route("/", modelCalibrate);

/** The active model version (the deployment default until another version is activated). */
model.get("/model", async (c) => {
  const active = await activeModel(c.env.DB, tenureConfig(loadConfig(c.env).TENURE_CONFIG).health);
  return c.json({ versionId: active.id, model: active.model });
});

/**
 * Without `asOf`: re-scores every customer now and stores the result (what the daily cron does).
 * With `asOf`: each customer's score as of that instant from the event-time timeline (the close of the
 * last day before it), changing nothing; at most MAX_REPLAY_CUSTOMERS per request, `after` pages on.
 */
model.post("/recompute", async (c) => {
  const body = z
    .object({ asOf: instant.optional(), customerIds: z.array(z.string()).max(500).optional(), after: z.string().optional() })
    .parse(await c.req.json().catch(() => ({})));
  const cfg = await activeTenureConfig(c.env.DB, tenureConfig(loadConfig(c.env).TENURE_CONFIG));
  if (body.asOf === undefined) return c.json({ recomputed: await recomputeAll(c.env, cfg, Date.now()) });
  const asOf = body.asOf;
  const customers: { id: string; score: number; band: string; stage: string; at: number }[] = [];
  let last: string | null = null;
  for await (const ids of customerPages(c.env.DB, MAX_REPLAY_CUSTOMERS, body.customerIds, body.after)) {
    const points = await scoresAsOf(c.env.DB, ids, asOf);
    for (const id of ids) {
      const p = points.get(id);
      if (p) customers.push({ id, score: p.score, band: p.band, stage: p.stage, at: p.at });
    }
    last = ids[ids.length - 1]!;
  }
  const more = last !== null && customers.length > 0 && (await customerPages(c.env.DB, 1, body.customerIds, last).next()).done === false;
  return c.json({ asOf, customers, next: more ? last : null });
});

/**
 * How well a model's scores predicted churn. The model in force is read from the timeline (what it said at
 * each day's close, in event time); another model is scored on the kept facts as they stood on each day.
 */
model.post("/model/backtest", async (c) => {
  const body = z
    .object({ model: z.unknown().optional(), horizonDays: z.number().int().min(1).max(730).default(90), stepDays: z.number().int().min(1).max(90).default(7) })
    .parse(await c.req.json().catch(() => ({})));
  const base = await activeTenureConfig(c.env.DB, tenureConfig(loadConfig(c.env).TENURE_CONFIG));
  const health = body.model === undefined ? base.health : healthModelSchema.parse(body.model);
  const cfg = { ...base, health };
  const now = Date.now();
  const histories: ReplayedHistory[] = [];
  let fromTimeline = 0;
  for await (const ids of customerPages(c.env.DB, MAX_REPLAY_CUSTOMERS)) {
    const { customers, series } = await loadReplayPage(c.env.DB, ids);
    for (const [id, customer] of customers) {
      const points = series.get(id) ?? [];
      const sameModel = points.length > 0 && points.every((p) => p.modelVersion === health.version) && body.model === undefined;
      if (sameModel) fromTimeline++;
      histories.push(sameModel ? historyFromTimeline(id, customer.state, points, now, body.stepDays) : historyFromState(id, customer.state, cfg, now, body.stepDays));
    }
  }
  const result = backtest(histories, body.horizonDays, health.bands, { observedUntil: now });
  return c.json({
    modelVersion: health.version,
    horizonDays: body.horizonDays,
    customers: histories.length,
    fromTimeline,
    capped: histories.length >= MAX_REPLAY_CUSTOMERS,
    ...result,
  });
});
