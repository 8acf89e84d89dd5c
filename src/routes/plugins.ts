import { type Context, Hono } from "hono";
import { z } from "zod";
import { declaredPlugins } from "../../webhooks/registry";
import { HOUR } from "../core/time";
import { loadConfig, type Env } from "../env";
import { declaredDestinations, isDestinationFile } from "../plugins/destinations";
import { dryRunDestination, dryRunSource } from "../plugins/dry-run";
import { declarationJsonSchema, type DeclarationProblem } from "../plugins/schema";
import type { AppVars } from "../app";
import { requireAdmin } from "./auth";
import { describeStored } from "../plugins/stored-list";
import { declaredSecretValue } from "../plugins/secrets";
import { storedPlugins } from "./plugins-stored";

/** Declared plugins: the list, the declaration format as JSON Schema, and a dry run (docs/plugins.md). */
export const plugins = new Hono<{ Bindings: Env; Variables: AppVars }>();
plugins.use("*", requireAdmin);

export const validateBodySchema = z.object({
  definition: z.unknown().refine((v) => v !== undefined, "definition is required"),
  sample: z.object({ headers: z.record(z.string(), z.string()).default({}), body: z.string().max(256 * 1024) }),
});

plugins.route("/", storedPlugins);

plugins.get("/plugins", async (c) => {
  const cfg = loadConfig(c.env);
  const list = declaredPlugins.loaded.map((p) => {
    const configured = typeof (cfg as Record<string, unknown>)[p.secret] === "string";
    return { ...p, status: configured ? "enabled" : `disabled: set ${p.secret}` };
  });
  const destinations = Object.values(declaredDestinations.byName).map((d) => {
    const missing = Object.values(d.secrets).filter((name) => typeof (cfg as Record<string, unknown>)[name] !== "string");
    return { name: d.name, version: d.version, kind: "destination", events: d.events, status: missing.length === 0 ? "enabled" : `disabled: set ${missing.join(", ")}` };
  });
  const stored = await describeStored(c.env.DB, (name) => declaredSecretValue(cfg, c.env, name) !== undefined);
  const storedBroken = stored.flatMap((s) => (s.error ? [{ file: `stored:${s.name}@${s.activeVersion}`, error: s.error }] : []));
  return c.json({ plugins: list, destinations, stored, broken: [...declaredPlugins.broken, ...declaredDestinations.broken, ...storedBroken] });
});

plugins.get("/plugins/schema", (c) => c.json(declarationJsonSchema()));

plugins.post("/plugins/validate", async (c) => {
  const body = validateBodySchema.parse(await c.req.json().catch(() => ({})));
  const cfg = loadConfig(c.env);
  if (isDestinationFile(body.definition)) {
    const planned = dryRunDestination(body.definition, body.sample.body, Date.now());
    return planned.ok ? c.json(planned) : invalid(c, planned.error);
  }
  const result = await dryRunSource({
    definition: body.definition,
    sample: body.sample,
    secretOf: (name) => {
      const v = (c.env as Record<string, unknown>)[name];
      return typeof v === "string" && v.trim() !== "" ? v : undefined;
    },
    publicUrl: cfg.PUBLIC_URL ?? new URL(c.req.url).origin,
    now: Date.now(),
    maxFutureMs: cfg.MAX_EVENT_FUTURE_HOURS * HOUR,
  });
  return result.ok ? c.json(result) : invalid(c, result.error);
});

/** The contract's `{ ok: false, error: { path, message } }`, in the shape of every other error (code, requestId). */
function invalid(c: Context<{ Bindings: Env; Variables: AppVars }>, error: DeclarationProblem) {
  return c.json({ ok: false, error: { code: "invalid_plugin", message: error.message, path: error.path, requestId: c.get("requestId") } }, 422);
}
