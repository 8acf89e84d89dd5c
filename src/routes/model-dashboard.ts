import type { Context, Hono } from "hono";
import { ZodError } from "zod";
import { tenureConfig } from "../config";
import { roleAllows } from "../core/roles";
import { diffModels, versionIdSchema } from "../core/model-version";
import { requireRole, requireSession, type DashEnv } from "../dashboard/auth";
import { callApi, hasRoute, type ApiHost } from "../dashboard/internal-api";
import type { Notice } from "../dashboard/layout";
import { ModelPage, type ModelAdmin } from "../dashboard/model";
import type { PreviewResult } from "../dashboard/model-versions";
import { render } from "../dashboard/render";
import { loadConfig } from "../env";
import { AppError, notFound } from "../errors";
import { activateModelVersion } from "../jobs/model-activate";
import { activeModel, listActivations, listVersions, loadVersion } from "../store/model-versions";
import { calibrateBody, calibrateModel } from "./model-calibrate";
import { createModelVersion, latestPreviewOf, previewModelVersion } from "./model-versions";

/**
 * The dashboard's Model page: the active model for everyone; versions, preview, activation and calibration
 * for admins. Forms act as the signed-in person (their email, or "admin (token)"), never as a bare token.
 */
export function mountModelRoutes(d: Hono<DashEnv>, host: ApiHost): void {
  const isAdmin = (c: Context<DashEnv>) => roleAllows(c.get("session").person.role, "admin");
  const base = (c: Context<DashEnv>) => tenureConfig(loadConfig(c.env).TENURE_CONFIG);

  async function page(c: Context<DashEnv>, extra: { notice?: Notice | null; admin?: Partial<ModelAdmin>; result?: Record<string, any> | null }, status: 200 | 400 | 404 | 422 = 200) {
    const active = await activeModel(c.env.DB, base(c).health);
    const admin: ModelAdmin | null = isAdmin(c) ? { versions: await listVersions(c.env.DB, 200), activations: await listActivations(c.env.DB, 10), ...extra.admin } : null;
    const props = { csrf: c.get("session").csrf, notice: extra.notice ?? null, model: active.model, versionId: active.id, backtest: hasRoute(host, "POST", "/api/model/backtest"), result: extra.result ?? null, admin };
    return render(c, ModelPage, props, status);
  }
  const failed = (err: unknown): Notice | null => {
    if (err instanceof AppError) return { kind: "error", text: err.message };
    if (err instanceof ZodError) return { kind: "error", text: `The model does not fit its schema: ${err.issues[0]?.path.join(".") ?? ""} ${err.issues[0]?.message ?? ""}`.trim() };
    return null;
  };
  const versionParam = (c: Context<DashEnv>) => {
    const p = versionIdSchema.safeParse(c.req.param("id"));
    if (!p.success) throw notFound("Model version");
    return p.data;
  };

  d.get("/model", requireSession, async (c) => {
    const done = c.req.query("activated");
    const id = done ? versionIdSchema.safeParse(done) : null;
    const notice: Notice | null = id?.success ? { kind: "ok", text: `Version ${id.data} is active. Customers are being re-scored in the background.` } : null;
    return page(c, { notice });
  });

  d.post("/model/backtest", requireRole("admin"), async (c) => {
    if (!hasRoute(host, "POST", "/api/model/backtest")) throw notFound("Backtest");
    const f = c.get("form");
    const num = (v: string | undefined, fallback: number) => (v && /^\d+$/.test(v) ? Number(v) : fallback);
    const res = await callApi(host, c, "POST", "/api/model/backtest", { horizonDays: num(f.horizonDays, 90), stepDays: num(f.stepDays, 7) });
    const ok = res.status === 200;
    return page(c, { result: ok ? res.json : null, notice: ok ? null : { kind: "error", text: res.json?.error?.message ?? "The backtest failed." } }, ok ? 200 : 400);
  });

  d.post("/model/versions", requireRole("admin"), async (c) => {
    const f = c.get("form");
    const draft = { model: f.model ?? "", note: f.note ?? "" };
    let model: unknown;
    try {
      model = JSON.parse(draft.model);
    } catch {
      return page(c, { notice: { kind: "error", text: "The model is not valid JSON." }, admin: { draft } }, 400);
    }
    try {
      const v = await createModelVersion(c.env, { model, note: draft.note.slice(0, 500), author: c.get("session").person.actor, evaluation: null }, Date.now());
      return page(c, { notice: { kind: "ok", text: `Version ${v.id} created. Preview it, then activate it.` } });
    } catch (err) {
      const notice = failed(err);
      if (!notice) throw err;
      return page(c, { notice, admin: { draft } }, 400);
    }
  });

  /** A preview with the changes its version makes against its parent. */
  async function previewPage(c: Context<DashEnv>, id: string, result: PreviewResult) {
    const deploymentDefault = base(c).health;
    const version = await loadVersion(c.env.DB, id, deploymentDefault);
    if (!version) throw notFound(`Model version ${id}`);
    const parent = version.parent ? await loadVersion(c.env.DB, version.parent, deploymentDefault) : null;
    return page(c, { admin: { preview: { result, changes: parent ? diffModels(parent.model, version.model) : [] } } });
  }

  d.post("/model/versions/:id/preview", requireRole("admin"), async (c) => {
    const id = versionParam(c);
    const result = await previewModelVersion(c.env, id, { horizonDays: 90, stepDays: 7, limit: 100, paged: false }, Date.now());
    if (result.status === "running") return c.redirect(`/model/versions/${encodeURIComponent(id)}/preview`, 303);
    return previewPage(c, id, result);
  });

  d.get("/model/versions/:id/preview", requireSession, async (c) => {
    if (!isAdmin(c)) throw new AppError(403, "role_required", "Previews need the admin role.");
    const id = versionParam(c);
    return previewPage(c, id, await latestPreviewOf(c.env, id));
  });

  d.post("/model/versions/:id/activate", requireRole("admin"), async (c) => {
    const id = versionParam(c);
    await activateModelVersion(c.env, id, c.get("session").person.actor, Date.now());
    return c.redirect(`/model?activated=${encodeURIComponent(id)}`, 303);
  });

  d.post("/model/calibrate", requireRole("admin"), async (c) => {
    const f = c.get("form");
    const horizon = f.horizonDays && /^\d+$/.test(f.horizonDays) ? Number(f.horizonDays) : 90;
    try {
      const r = await calibrateModel(c.env, calibrateBody.parse({ horizonDays: horizon }), c.get("session").person.actor, Date.now());
      if (r.status === "running") {
        return page(c, { notice: { kind: "ok", text: `Calibrating ${r.totalCustomers} customers in pages (run ${r.runId}); the candidate appears among the versions when it is done.` } });
      }
      return page(c, { notice: { kind: "ok", text: `Calibrated: candidate ${r.id} (not active).` }, admin: { calibration: r } });
    } catch (err) {
      const notice = failed(err);
      if (!notice) throw err;
      return page(c, { notice }, err instanceof AppError && err.status === 422 ? 422 : 400);
    }
  });
}
