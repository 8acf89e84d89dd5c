import { Hono } from "hono";
import { z } from "zod";
import { startOwnersSync } from "../jobs/owners-sync";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { setupStripeCoupons } from "../../connectors/stripe-setup";
import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { requireAdmin } from "./auth";

export const setup = new Hono<{ Bindings: Env }>();
setup.use("*", requireAdmin);

/** Creates Tenure's "Customer health" property group and properties on HubSpot companies, idempotently. */
setup.post("/setup/hubspot", async (c) => {
  const cfg = loadConfig(c.env);
  if (!cfg.HUBSPOT_ACCESS_TOKEN) throw new AppError(503, "connector_disabled", "Set HUBSPOT_ACCESS_TOKEN to create Tenure's HubSpot properties.");
  const results = await setupHubspotProperties({ cfg, fetch: (i, init) => fetch(i, init), now: Date.now });
  const problems = results.filter((r) => r.status !== "created" && r.status !== "exists");
  // Owner names and emails right away, rather than at the next daily run.
  const ownersSync = await startOwnersSync(c.env, Date.now());
  return c.json({ ok: problems.length === 0, results, ownersSync }, problems.length === 0 ? 200 : 207);
});

/**
 * Creates the Stripe coupons the loyalty rules name, if missing: the referral friend's discount (default 20 % off
 * once) and the first-renewal offer (default 15 % off once). Percentages can be given in the body.
 */
setup.post("/setup/stripe", async (c) => {
  const cfg = loadConfig(c.env);
  if (!cfg.STRIPE_SECRET_KEY) throw new AppError(503, "connector_disabled", "Set STRIPE_SECRET_KEY to create Tenure's Stripe coupons.");
  const body = z
    .object({ referralPercentOff: z.number().min(1).max(100).default(20), renewalPercentOff: z.number().min(1).max(100).default(15) })
    .parse(await c.req.json().catch(() => ({})));
  const rules = tenureConfig(cfg.TENURE_CONFIG).rewards;
  const results = await setupStripeCoupons({ cfg, fetch: (i, init) => fetch(i, init), now: Date.now }, [
    { id: rules.referral.coupon, name: "Referral: friend's discount", percentOff: body.referralPercentOff, duration: "once" },
    { id: rules.renewalOffer.coupon, name: "First-renewal offer", percentOff: body.renewalPercentOff, duration: "once" },
  ]);
  const ok = results.every((r) => r.status !== "error");
  return c.json({ ok, results }, ok ? 200 : 207);
});
