import { Hono } from "hono";
import { z } from "zod";
import { backfillProgress, backfillStep, continueBackfill, IMPORTERS, startBackfill, type BackfillDeps } from "../backfill/run";
import { BACKFILL_SOURCES } from "../backfill/types";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { errorFields, log } from "../log";
import { requireAdmin } from "./auth";

/** Wall time a request keeps importing pages after it answered (waitUntil); a later POST resumes. */
export const CONTINUE_MS = 20_000;

export const backfill = new Hono<{ Bindings: Env }>();
backfill.use("*", requireAdmin);

const startSchema = z.object({ source: z.enum(BACKFILL_SOURCES), restart: z.boolean().default(false) });

function depsOf(env: Env): BackfillDeps {
  return { db: env.DB, cfg: loadConfig(env), fetch: (input, init) => fetch(input, init), now: Date.now, events: env.EVENTS };
}

/**
 * Starts (or resumes) a backfill, imports its first page before answering (so a bad credential shows
 * here), then keeps importing in the background. 200 when finished, 202 while pages remain.
 */
backfill.post("/", async (c) => {
  const body = startSchema.parse(await c.req.json().catch(() => ({})));
  const deps = depsOf(c.env);
  const reason = IMPORTERS[body.source].disabledReason(deps.cfg);
  if (reason) throw new AppError(503, "source_not_configured", `The ${body.source} backfill is disabled: ${reason}.`);
  await startBackfill(deps, body.source, { restart: body.restart });
  const step = await backfillStep(deps, body.source);
  if (step.error) {
    throw new AppError(502, "vendor_error", `${step.error.message}. The run keeps its cursor: POST again to resume.`, {
      retryable: step.error.retryable,
      progress: step.progress,
    });
  }
  if (step.progress.status === "running" && !step.busy) {
    c.executionCtx.waitUntil(
      continueBackfill(deps, body.source, CONTINUE_MS).catch((err: unknown) => log("warn", "backfill stopped; POST again to resume", { source: body.source, ...errorFields(err) })),
    );
  }
  return c.json(step.progress, step.progress.status === "done" ? 200 : 202);
});

/** Progress of every source's latest run. */
backfill.get("/", async (c) => {
  const now = Date.now();
  return c.json({ runs: await Promise.all(BACKFILL_SOURCES.map((s) => backfillProgress(c.env.DB, s, now))) });
});
