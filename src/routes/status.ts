import { Hono } from "hono";
import { connectors } from "../../connectors/registry";
import { sources } from "../../webhooks/registry";
import { loadConfig, type Env } from "../env";

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
  return c.json({ ok: db === "ok", db, sources: srcs, connectors: conns, admin: cfg.ADMIN_TOKEN ? "enabled" : "disabled: set ADMIN_TOKEN" }, db === "ok" ? 200 : 503);
});
