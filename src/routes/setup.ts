import { Hono } from "hono";
import { setupHubspotProperties } from "../../connectors/hubspot";
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
  return c.json({ ok: problems.length === 0, results }, problems.length === 0 ? 200 : 207);
});
