import { Hono } from "hono";
import { connectors } from "../../connectors/registry";
import { declaredPlugins, sources } from "../../webhooks/registry";
import { declaredDestinations } from "../plugins/destinations";
import { declaredSecretValue } from "../plugins/secrets";
import { describeStored } from "../plugins/stored-list";
import { loadConfig, type Env } from "../env";
import { sweeperStats } from "../store/sweeper";
import { freshdeskDisabledReason } from "../jobs/freshdesk-ratings";
import { hubspotFeedbackDisabledReason } from "../jobs/hubspot-feedback-submissions";
import { heldOnShards } from "../shard/route";

export const status = new Hono<{ Bindings: Env }>();

/** Liveness plus what is configured: a missing secret shows here, it never crashes the app. */
status.get("/health", async (c) => {
  const cfg = loadConfig(c.env);
  let db = "ok";
  try {
    await c.env.DB.prepare("SELECT 1").first();
  } catch {
    db = "unavailable";
  }
  const srcs = Object.fromEntries(Object.values(sources).map((s) => [s!.name, cfg[s!.secret] ? "enabled" : `disabled: set ${s!.secret}`]));
  const conns = Object.fromEntries(Object.values(connectors).map((k) => [k.destination, k.disabledReason(cfg) ?? "enabled"]));
  // Inbox rows the 2-minute sweeper had to hand to the queue because their request did not: should stay 0.
  const swept = db === "ok" ? await sweeperStats(c.env.DB).catch(() => null) : null;
  const sweeper = swept && { rescued: swept.rescued, lastRescueAt: swept.lastRescueAt === null ? null : new Date(swept.lastRescueAt).toISOString() };
  // Deliveries carried on the events queue (QUEUE_CARRIED_SOURCES) have no inbox row until applied: the queue's
  // backlog is where they wait. Null where the runtime gives no metrics.
  const eventsBacklog = await Promise.resolve()
    .then(() => c.env.EVENTS.metrics())
    .then((m) => m.backlogCount, () => null);
  const held = await heldOnShards(c.env.SHARDS, cfg.ACCOUNT_SHARDS, cfg.SHARD_HOLD_MS).catch(() => null);
  const off = (reason: string | null) => (reason === null ? "enabled" : `off: ${reason} (matching events stay unmatched until it is set)`);
  const enrichment = { hubspot: off(connectors.hubspot.disabledReason(cfg)), zendesk: off(connectors.zendesk.disabledReason(cfg)) };
  const poll = (reason: string | null) => (reason === null ? "enabled" : `off: ${reason} (the daily step is skipped)`);
  const polls = { freshdeskCsat: poll(freshdeskDisabledReason(cfg)), hubspotFeedback: poll(hubspotFeedbackDisabledReason(cfg)) };
  // Declared sources: a weak scheme (shared token, basic auth) signs no bytes, and a refused declaration is listed, not served.
  // Stored through POST /api/plugins: the active version of each, listed like the bundled ones.
  const stored = db === "ok" ? await describeStored(c.env.DB, (name) => declaredSecretValue(cfg, c.env, name) !== undefined).catch(() => []) : [];
  const plugins = {
    sources: {
      ...Object.fromEntries(declaredPlugins.loaded.map((p) => [p.name, `${srcs[p.name]}${p.weak ? ` (weaker: ${p.scheme} signs nothing)` : ""}`])),
      ...Object.fromEntries(stored.filter((s) => s.status !== "inactive" && !s.error).map((s) => [s.name, `${s.status} (stored, version ${s.activeVersion ?? "?"})${s.weak ? ` (weaker: ${s.scheme} signs nothing)` : ""}`])),
    },
    broken: [
      ...[...declaredPlugins.broken, ...declaredDestinations.broken].map((b) => `${b.file}: ${b.error.path}: ${b.error.message}`),
      ...stored.filter((s) => s.error).map((s) => `stored ${s.name}: ${s.error!.path}: ${s.error!.message}`),
    ],
  };
  return c.json({ ok: db === "ok", db, sources: srcs, plugins, connectors: conns, enrichment, polls, sweeper, queues: { events: { backlog: eventsBacklog, held } }, admin: cfg.ADMIN_TOKEN ? "enabled" : "disabled: set ADMIN_TOKEN", member: cfg.TENURE_MEMBER_SECRET ? "enabled" : "disabled: set TENURE_MEMBER_SECRET" }, db === "ok" ? 200 : 503);
});
