import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { buildVersionModel, createVersionSchema, diffModels, versionIdSchema, type ModelVersion } from "../core/model-version";
import { emptyPreviewTally } from "../core/model-version-tally";
import { loadConfig, type Env } from "../env";
import { badRequest, notFound } from "../errors";
import { activateModelVersion } from "../jobs/model-activate";
import { activeModel, activeVersionId, insertVersionStmt, listActivations, listVersions, loadVersion } from "../store/model-versions";
import { requireAdmin } from "./auth";
import { MAX_REPLAY_CUSTOMERS, customerPages } from "../history";
import { sendJobs } from "../jobs/enqueue";
import { insertPreview, latestPreview, type PreviewOptions } from "../store/model-previews";
import { foldPreviewPage, previewAnswer } from "./model-replay";

/** Health model versions: list, create, show with its diff, preview, activate (src/store/model-versions.ts). */
export const modelVersions = new Hono<{ Bindings: Env }>();
modelVersions.use("*", requireAdmin);

/** The admin API's actor: the bearer token is the deployment's admin. */
export const API_ACTOR = "admin";

const deploymentDefault = (env: Env) => tenureConfig(loadConfig(env).TENURE_CONFIG).health;
const idParam = (raw: string) => {
  const p = versionIdSchema.safeParse(raw);
  if (!p.success) throw notFound(`Model version ${raw}`);
  return p.data;
};

modelVersions.get("/model/versions", async (c) => {
  const q = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).parse(c.req.query());
  const [versions, activations] = await Promise.all([listVersions(c.env.DB, q.limit), listActivations(c.env.DB, 20)]);
  return c.json({ versions, activations });
});

modelVersions.post("/model/versions", async (c) => {
  const body = createVersionSchema.parse(await c.req.json().catch(() => ({})));
  const version = await createModelVersion(c.env, { model: body.model, note: body.note, parent: body.parent, author: API_ACTOR, evaluation: null }, Date.now());
  return c.json(await describeVersion(c.env, version), 201);
});

modelVersions.get("/model/versions/:id", async (c) => {
  const version = await loadVersion(c.env.DB, idParam(c.req.param("id")), deploymentDefault(c.env));
  if (!version) throw notFound(`Model version ${c.req.param("id")}`);
  return c.json(await describeVersion(c.env, version));
});

const previewBody = z.object({
  horizonDays: z.number().int().min(1).max(730).default(90),
  stepDays: z.number().int().min(1).max(90).default(7),
  limit: z.number().int().min(1).max(500).default(100),
  paged: z.boolean().default(false),
});

modelVersions.post("/model/versions/:id/preview", async (c) => {
  const body = previewBody.parse(await c.req.json().catch(() => ({})));
  const preview = await previewModelVersion(c.env, idParam(c.req.param("id")), body, Date.now());
  return c.json(preview, preview.status === "running" ? 202 : 200);
});

modelVersions.get("/model/versions/:id/preview", async (c) => {
  return c.json(await latestPreviewOf(c.env, idParam(c.req.param("id"))));
});

modelVersions.post("/model/versions/:id/activate", async (c) => {
  return c.json(await activateModelVersion(c.env, idParam(c.req.param("id")), API_ACTOR, Date.now()));
});

/** Far above any real model (the default is about 3 KB), far below D1's row limit. */
const MAX_MODEL_JSON = 64_000;

/** Stores a new immutable version; its parent defaults to the active one. */
export async function createModelVersion(
  env: Env,
  v: { model: unknown; note: string; parent?: string; author: string; evaluation: unknown },
  now: number,
): Promise<ModelVersion> {
  if (JSON.stringify(v.model ?? null).length > MAX_MODEL_JSON) throw badRequest(`The model is over ${MAX_MODEL_JSON} characters of JSON.`, { path: "model" });
  const parent = v.parent ?? (await activeVersionId(env.DB));
  if (!(await loadVersion(env.DB, parent, deploymentDefault(env)))) throw notFound(`Parent model version ${parent}`);
  const id = newVersionId(now);
  const model = buildVersionModel(id, v.model);
  const version: ModelVersion = { id, parent, model, note: v.note, author: v.author, createdAt: now, evaluation: v.evaluation };
  await insertVersionStmt(env.DB, { ...version, input: v.model }).run();
  return version;
}

/** Time-ordered and unguessable enough to never collide: mv_ + ms in base 36 + 8 random hex digits. */
function newVersionId(now: number): string {
  return `mv_${now.toString(36)}${randomHex()}`;
}

const randomHex = () => [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function describeVersion(env: Env, v: ModelVersion) {
  const def = deploymentDefault(env);
  const parent = v.parent ? await loadVersion(env.DB, v.parent, def) : null;
  const active = await activeVersionId(env.DB);
  return {
    id: v.id,
    active: active === v.id,
    parent: v.parent,
    note: v.note,
    author: v.author,
    createdAt: v.createdAt,
    model: v.model,
    changes: parent ? diffModels(parent.model, v.model) : [],
    evaluation: v.evaluation,
  };
}

/**
 * What activating the version would do now, changing nothing in the scores: band moves, and both backtests.
 * Up to MAX_REPLAY_CUSTOMERS customers it is answered at once; beyond (or with `paged`), it runs as a chain of
 * pages on the events queue whose running total is stored and polled with GET .../preview.
 */
export async function previewModelVersion(env: Env, id: string, opts: z.output<typeof previewBody>, now: number) {
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const version = await loadVersion(env.DB, id, base.health);
  if (!version) throw notFound(`Model version ${id}`);
  const active = await activeModel(env.DB, base.health);
  const options: PreviewOptions = { horizonDays: opts.horizonDays, stepDays: opts.stepDays, limit: opts.limit, at: now };
  const total = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())?.n ?? 0;
  const models = { active: active.model, candidate: version.model };
  if (!opts.paged && total <= MAX_REPLAY_CUSTOMERS) {
    const tally = emptyPreviewTally();
    for await (const ids of customerPages(env.DB, MAX_REPLAY_CUSTOMERS)) await foldPreviewPage(env.DB, base, models, ids, options, tally);
    return { previewId: null, status: "done" as const, versionId: id, activeVersionId: active.id, at: now, totalCustomers: total, ...previewAnswer(tally, models) };
  }
  const previewId = `pv_${now.toString(36)}${randomHex()}`;
  await insertPreview(env.DB, { id: previewId, versionId: id, activeId: active.id, status: "running", cursor: "", options, tally: emptyPreviewTally(), startedAt: now, updatedAt: now });
  await sendJobs(env.EVENTS, [{ job: "model-preview", previewId }]);
  return { previewId, status: "running" as const, versionId: id, activeVersionId: active.id, at: now, totalCustomers: total, ...previewAnswer(emptyPreviewTally(), models) };
}

/** The latest preview of a version: running (with its total so far) or done. */
export async function latestPreviewOf(env: Env, id: string) {
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const p = await latestPreview(env.DB, id);
  if (!p) throw notFound(`A preview of model version ${id}`);
  const [candidate, active] = await Promise.all([loadVersion(env.DB, p.versionId, base.health), loadVersion(env.DB, p.activeId, base.health)]);
  if (!candidate || !active) throw notFound(`Model version ${id}`);
  const total = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())?.n ?? 0;
  return { previewId: p.id, status: p.status, versionId: p.versionId, activeVersionId: p.activeId, at: p.options.at, totalCustomers: total, ...previewAnswer(p.tally, { active: active.model, candidate: candidate.model }) };
}
