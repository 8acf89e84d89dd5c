import type { Config, EventMessage } from "../env";
import { errorFields, log } from "../log";
import { enqueue } from "../queues";
import {
  claimLease,
  failRun,
  finishRun,
  isGuardFailure,
  loadRun,
  PAGE_ROWS_OFFSET,
  pageCommitStmts,
  releaseLease,
  resumeRun,
  startRun,
} from "../store/backfill";
import { HOUR } from "../core/time";
import { hubspotImporter } from "./hubspot";
import { withPlausibleTimes } from "./ingest";
import { inboxRow, toEnqueue } from "../store/inbox";
import { stripeImporter } from "./stripe";
import { zendeskImporter } from "./zendesk";
import { BACKFILL_OBJECTS, type BackfillSource, type Importer, VendorError } from "./types";

/**
 * Resumable backfill: one page per step. The cursor of each object moves in the same D1 batch as the
 * page's inbox rows, so a step interrupted anywhere either committed its page or did not, and the
 * next step reads from the last committed cursor. Records go through the webhook dedupe path, so a
 * page read twice imports nothing twice.
 */

export const IMPORTERS: Record<BackfillSource, Importer> = { stripe: stripeImporter, hubspot: hubspotImporter, zendesk: zendeskImporter };

/** A page that takes longer than this is assumed dead and its lease is taken over (its commit is then refused). */
export const LEASE_MS = 60_000;

export interface BackfillDeps {
  db: D1Database;
  cfg: Config;
  fetch: typeof fetch;
  now: () => number;
  events: Queue<EventMessage>;
}

export interface BackfillProgress {
  source: BackfillSource;
  status: "idle" | "running" | "failed" | "done";
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number | null;
  /** A worker is importing a page right now. */
  busy: boolean;
  error: string | null;
  read: number;
  imported: number;
  objects: { object: string; done: boolean; pages: number; read: number; imported: number }[];
}

export async function backfillProgress(db: D1Database, source: BackfillSource, now: number): Promise<BackfillProgress> {
  const loaded = await loadRun(db, source);
  if (!loaded) {
    const objects = BACKFILL_OBJECTS[source].map((object) => ({ object, done: false, pages: 0, read: 0, imported: 0 }));
    return { source, status: "idle", startedAt: null, finishedAt: null, updatedAt: null, busy: false, error: null, read: 0, imported: 0, objects };
  }
  const { run, cursors } = loaded;
  const objects = cursors.map(({ object, done, pages, read, imported }) => ({ object, done, pages, read, imported }));
  return {
    source,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    updatedAt: run.updatedAt,
    busy: run.status === "running" && run.leaseUntil !== null && run.leaseUntil > now,
    error: run.lastError,
    read: objects.reduce((n, o) => n + o.read, 0),
    imported: objects.reduce((n, o) => n + o.imported, 0),
    objects,
  };
}

/** Starts a run (first ever, after a finished one, or on request) or resumes a failed or running one. */
export async function startBackfill(deps: BackfillDeps, source: BackfillSource, opts: { restart?: boolean } = {}): Promise<void> {
  const now = deps.now();
  const loaded = await loadRun(deps.db, source);
  if (!loaded || loaded.run.status === "done" || opts.restart) await startRun(deps.db, source, BACKFILL_OBJECTS[source], now);
  else await resumeRun(deps.db, source, now);
}

export interface StepResult {
  progress: BackfillProgress;
  /** Another worker holds the run; nothing was done. */
  busy: boolean;
  error?: VendorError;
}

/** Imports one page of the first unfinished object. */
export async function backfillStep(deps: BackfillDeps, source: BackfillSource): Promise<StepResult> {
  const { db } = deps;
  const now = deps.now();
  const done = async (extra: Partial<StepResult> = {}): Promise<StepResult> => ({ progress: await backfillProgress(db, source, deps.now()), busy: false, ...extra });
  if (!(await claimLease(db, source, now, LEASE_MS))) {
    // Held by another worker, or there is no running run (done, failed, never started).
    const progress = await backfillProgress(db, source, now);
    return { progress, busy: progress.busy };
  }
  const cur = (await loadRun(db, source))?.cursors.find((c) => !c.done);
  if (!cur) {
    await finishRun(db, source, now);
    return done();
  }
  let page;
  try {
    page = await IMPORTERS[source].fetchPage({ cfg: deps.cfg, fetch: deps.fetch, now: deps.now }, cur.object, cur.cursor);
  } catch (err) {
    const error = err instanceof VendorError ? err : new VendorError(`${source} page failed: ${err instanceof Error ? err.message : String(err)}`, true);
    log("warn", "backfill page failed; the run keeps its cursor", { source, object: cur.object, error: error.message });
    await failRun(db, source, `${cur.object}: ${error.message}`, now);
    return done({ error });
  }
  const requestId = `backfill:${source}:${cur.object}:${cur.pages + 1}:${crypto.randomUUID().slice(0, 8)}`;
  const maxFutureMs = deps.cfg.MAX_EVENT_FUTURE_HOURS * HOUR;
  const rows = page.deliveries.map((d) => inboxRow(source, withPlausibleTimes(d, now, maxFutureMs), now, requestId));
  let results: D1Result[];
  try {
    results = await db.batch(pageCommitStmts(db, { source, object: cur.object, pagesBefore: cur.pages, next: page.next, rows, now, requestId }));
  } catch (err) {
    if (isGuardFailure(err)) return done({ busy: true });
    log("warn", "backfill page commit failed; the run keeps its cursor", { source, object: cur.object, ...errorFields(err) });
    await failRun(db, source, `${cur.object}: could not save the page (${err instanceof Error ? err.message : String(err)})`, now).catch(() => releaseLease(db, source));
    return done({ error: new VendorError("could not save the page", true) });
  }
  const inserted = rows.filter((_, i) => (results[i + PAGE_ROWS_OFFSET]?.meta.changes ?? 0) > 0).map((r) => r.id);
  await enqueue(deps.events, toEnqueue(rows, inserted).map((eventId) => ({ eventId })));
  if (page.next === null) await finishRun(db, source, now);
  return done();
}

/** Steps until the run is done, fails, is taken by another worker, or `budgetMs` is spent. */
export async function continueBackfill(deps: BackfillDeps, source: BackfillSource, budgetMs: number): Promise<StepResult> {
  const deadline = deps.now() + budgetMs;
  for (;;) {
    const step = await backfillStep(deps, source);
    if (step.busy || step.error || step.progress.status !== "running" || deps.now() >= deadline) return step;
  }
}
