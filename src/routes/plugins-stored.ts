import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppVars } from "../app";
import type { Env } from "../env";
import { notFound } from "../errors";
import { declaredSourceNameSchema } from "../core/events";
import { PluginRefused, storePluginVersion } from "../plugins/stored-create";
import { activePluginVersionId, listPluginActivations, listPluginVersions, loadPluginVersion, setActivePluginVersion } from "../store/plugin-versions";
import { requireAdmin } from "./auth";

/** Source declarations stored through the admin API, versioned (src/plugins/stored.ts, docs/plugins.md). */
export const storedPlugins = new Hono<{ Bindings: Env; Variables: AppVars }>();
storedPlugins.use("*", requireAdmin);

/** The admin token is one secret shared by its holders; a caller may name the person acting, recorded with the token. */
const TOKEN_ACTOR = "admin (token)";
const actorOf = (named: string | undefined) => (named ? `${named} via ${TOKEN_ACTOR}` : TOKEN_ACTOR);
const actorSchema = z.string().trim().min(1).max(100).optional();

export const storeBodySchema = z.object({
  definition: z.unknown().refine((v) => v !== undefined, "definition is required"),
  activate: z.boolean().default(true).describe("Serve this version at once (default); false stores it for a later activation."),
  actor: actorSchema,
});
const actorBodySchema = z.object({ actor: actorSchema });

const nameParam = (raw: string) => {
  const r = declaredSourceNameSchema.safeParse(raw);
  if (!r.success) throw notFound(`Stored plugin ${raw}`);
  return r.data;
};

storedPlugins.post("/plugins", async (c) => {
  const body = storeBodySchema.parse(await c.req.json().catch(() => ({})));
  const actor = actorOf(body.actor);
  const now = Date.now();
  let stored;
  try {
    stored = await storePluginVersion(c.env.DB, body.definition, { activate: body.activate, actor, now });
  } catch (err) {
    if (err instanceof PluginRefused) return invalid(c, err.problem.path, err.problem.message);
    throw err;
  }
  const { version, created } = stored;
  // A replayed store-and-activate still activates, so the request means the same whether it is the first or not.
  if (!created && body.activate && (await activePluginVersionId(c.env.DB, version.name)) !== version.id) {
    await setActivePluginVersion(c.env.DB, version.name, version.id, actor, now);
  }
  const active = (await activePluginVersionId(c.env.DB, version.name)) === version.id;
  return c.json({ name: version.name, version: version.version, id: version.id, active, author: version.author, createdAt: version.createdAt }, created ? 201 : 200);
});

storedPlugins.get("/plugins/:name/versions", async (c) => {
  const name = nameParam(c.req.param("name"));
  const [versions, activations, activeId] = await Promise.all([listPluginVersions(c.env.DB, name), listPluginActivations(c.env.DB, name, 50), activePluginVersionId(c.env.DB, name)]);
  if (versions.length === 0) throw notFound(`Stored plugin ${name}`);
  return c.json({
    name,
    activeVersion: versions.find((v) => v.id === activeId)?.version ?? null,
    versions: versions.map((v) => ({ version: v.version, id: v.id, active: v.id === activeId, author: v.author, createdAt: v.createdAt, definition: JSON.parse(v.definition) as unknown })),
    activations,
  });
});

/** Activating an older version is the rollback. */
storedPlugins.post("/plugins/:name/versions/:version/activate", async (c) => {
  const name = nameParam(c.req.param("name"));
  const version = z.coerce.number().int().min(1).safeParse(c.req.param("version"));
  const { actor } = actorBodySchema.parse(await c.req.json().catch(() => ({})));
  const row = version.success ? await loadPluginVersion(c.env.DB, name, version.data) : null;
  if (!row) throw notFound(`Stored plugin ${name} version ${c.req.param("version")}`);
  const previous = await activePluginVersionId(c.env.DB, name);
  if (previous !== row.id) await setActivePluginVersion(c.env.DB, name, row.id, actorOf(actor), Date.now());
  return c.json({ name, activeVersion: row.version, previousVersion: previous === null ? null : Number(previous.slice(previous.lastIndexOf("@") + 1)) });
});

/** Stops serving a stored source (its endpoint answers 404); its versions are kept. */
storedPlugins.post("/plugins/:name/deactivate", async (c) => {
  const name = nameParam(c.req.param("name"));
  const { actor } = actorBodySchema.parse(await c.req.json().catch(() => ({})));
  const previous = await activePluginVersionId(c.env.DB, name);
  if ((await listPluginVersions(c.env.DB, name)).length === 0) throw notFound(`Stored plugin ${name}`);
  if (previous !== null) await setActivePluginVersion(c.env.DB, name, null, actorOf(actor), Date.now());
  return c.json({ name, activeVersion: null });
});

function invalid(c: Context<{ Bindings: Env; Variables: AppVars }>, path: string, message: string) {
  return c.json({ ok: false, error: { code: "invalid_plugin", message, path, requestId: c.get("requestId") } }, 422);
}
