import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { computeMetrics } from "../core/metrics";
import { isoTime, isPlausibleTime } from "../core/time";
import type { Env } from "../env";
import { badRequest } from "../errors";
import { loadMetricsRows } from "../store/metrics";
import { requireAdmin } from "./auth";

export const metrics = new Hono<{ Bindings: Env }>();
metrics.use("/metrics", requireAdmin);

const DAY = 86_400_000;
const MAX_RANGE_DAYS = 731;

/** An instant as ms since epoch or an ISO 8601 date/time, between 2000 and 2100 (the times ingest accepts). */
const instant = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(t)) {
      ctx.addIssue({ code: "custom", message: `"${v}" is neither ms since epoch nor an ISO 8601 date` });
      return z.NEVER;
    }
    if (!isPlausibleTime(t)) {
      ctx.addIssue({ code: "custom", message: `"${v}" is not a time between 2000 and 2100` });
      return z.NEVER;
    }
    return t;
  });

export const metricsQuerySchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  period: z.enum(["month", "week"]).default("month"),
  segment: z.string().trim().min(1).max(100).optional(),
  grossMargin: z.coerce.number().gt(0).max(1).default(0.8),
});

export function metricsWindow(q: { from?: number; to?: number }, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - 30 * DAY;
  if (from >= to) throw badRequest("`from` must be before `to`.", { from, to });
  if (to - from > MAX_RANGE_DAYS * DAY) throw badRequest(`The window may span at most ${MAX_RANGE_DAYS} days.`, { from, to });
  return { from, to };
}

metrics.get("/metrics", async (c) => {
  const q = metricsQuerySchema.parse(c.req.query());
  const window = metricsWindow(q, Date.now());
  const rows = await loadMetricsRows(c.env.DB, window.to);
  const cfg = tenureConfig(typeof c.env.TENURE_CONFIG === "string" ? c.env.TENURE_CONFIG : undefined);
  const report = computeMetrics({ ...rows, lifecycle: cfg.lifecycle, grossMargin: q.grossMargin }, { window, period: q.period, ...(q.segment ? { segment: q.segment } : {}) });
  return c.json({
    ...report,
    window: { ...report.window, fromIso: isoTime(window.from), toIso: isoTime(window.to) },
  });
});
