import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { backtest } from "../core/backtest";
import { healthModelSchema } from "../core/health";
import { churnedAt } from "../core/lifecycle";
import { scoreCustomer } from "../core/snapshot";
import { loadConfig, type Env } from "../env";
import { eventsByCustomer, replayScores, stateAsOf } from "../history";
import { recomputeAll } from "../recompute";
import { requireAdmin } from "./auth";

export const model = new Hono<{ Bindings: Env }>();
model.use("*", requireAdmin);

const instant = z.union([z.number().int().nonnegative(), z.iso.datetime().transform((s) => Date.parse(s))]);
const MAX_REPLAY_CUSTOMERS = 2_000;

model.get("/model", (c) => c.json({ model: tenureConfig(loadConfig(c.env).TENURE_CONFIG).health }));

/**
 * Without `asOf`: re-scores every customer now and stores the result (what the daily cron does).
 * With `asOf`: computes each customer's score as of that instant from stored history, without changing anything.
 */
model.post("/recompute", async (c) => {
  const body = z.object({ asOf: instant.optional(), customerIds: z.array(z.string()).max(500).optional() }).parse(await c.req.json().catch(() => ({})));
  const cfg = tenureConfig(loadConfig(c.env).TENURE_CONFIG);
  if (body.asOf === undefined) return c.json({ recomputed: await recomputeAll(c.env, cfg, Date.now()) });
  const asOf = body.asOf;
  const byCustomer = await eventsByCustomer(c.env.DB, { customerIds: body.customerIds, until: asOf, limit: MAX_REPLAY_CUSTOMERS });
  const customers = [...byCustomer].map(([id, events]) => {
    const s = scoreCustomer(stateAsOf(events, asOf), asOf, cfg, undefined, { d7: null, d30: null });
    return { id, score: s.health.score, band: s.health.band, stage: s.stage.stage, drivers: s.health.drivers.slice(0, 3) };
  });
  return c.json({ asOf, customers });
});

/** Replays stored history with a model (default: the current one) and reports how well its scores predicted churn. */
model.post("/model/backtest", async (c) => {
  const body = z
    .object({ model: z.unknown().optional(), horizonDays: z.number().int().min(1).max(730).default(90), stepDays: z.number().int().min(1).max(90).default(7) })
    .parse(await c.req.json().catch(() => ({})));
  const base = tenureConfig(loadConfig(c.env).TENURE_CONFIG);
  const health = body.model === undefined ? base.health : healthModelSchema.parse(body.model);
  const cfg = { ...base, health };
  const now = Date.now();
  const byCustomer = await eventsByCustomer(c.env.DB, { until: now, limit: MAX_REPLAY_CUSTOMERS });
  const histories = [...byCustomer].map(([customerId, events]) => {
    const first = Math.min(...events.map((e) => e.occurredAt));
    return { customerId, points: replayScores(events, cfg, first, now, body.stepDays), churnedAt: churnedAt(stateAsOf(events, now)) };
  });
  const result = backtest(histories, body.horizonDays, health.bands, { observedUntil: now });
  return c.json({ modelVersion: health.version, horizonDays: body.horizonDays, customers: histories.length, ...result });
});
