import { Hono } from "hono";
import { z } from "zod";
import { noiseBudget } from "../core/noise";
import type { Env } from "../env";
import { loadNoiseAccounts, loadNoiseAlerts } from "../store/noise";
import { requireAdmin } from "./auth";

export const alertsNoise = new Hono<{ Bindings: Env }>();
alertsNoise.use("/alerts/noise", requireAdmin);

export const noiseQuery = z.object({ horizonDays: z.coerce.number().int().min(1).max(730).default(90) }).strict();

/** The noise budget of the alert rules (src/core/noise.ts) over every alert sent and every customer's churn. */
alertsNoise.get("/alerts/noise", async (c) => {
  const { horizonDays } = noiseQuery.parse(c.req.query());
  const [alerts, accounts] = await Promise.all([loadNoiseAlerts(c.env.DB), loadNoiseAccounts(c.env.DB)]);
  const now = Date.now();
  return c.json({ ...noiseBudget(alerts.alerts, accounts.accounts, { horizonDays, now }), now, capped: alerts.capped || accounts.capped });
});
