import { z } from "zod";
import { ConfigError, loadConfig, type Env } from "../env";
import { APPLIED_STEPS, cutoffOf, DEDUPE_WINDOW_DAYS, PRUNE_STEPS, pruneChunk, type RetentionPolicy } from "../store/retention";
import { sendJobs } from "./enqueue";
import type { PruneInboxJob } from "./messages";

/**
 * The inbox's retention, one bounded page per queue message: at most CHUNKS_PER_PAGE chunks of at most
 * 1,000 rows, each chunk two D1 calls (four statements) at most. A chunk that comes back short finishes
 * its step; the page stops when its chunks are spent and hands the step it reached to the next message.
 */
export const CHUNKS_PER_PAGE = 20;

/** Unmatched events wait this long for a customer to match them, then go with the keys they waited for. */
export const DEFAULT_UNMATCHED_RETENTION_DAYS = 90;

// Read here rather than in src/env.ts's schema, which does not list it (yet); same rules as its other day counts.
const unmatchedDays = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? DEFAULT_UNMATCHED_RETENTION_DAYS : Number(v)))
  .pipe(z.number().int().positive());

export function retentionPolicy(env: Env): RetentionPolicy {
  const unmatched = unmatchedDays.safeParse(env.UNMATCHED_RETENTION_DAYS);
  if (!unmatched.success) throw new ConfigError("Invalid configuration: UNMATCHED_RETENTION_DAYS must be a whole number of days, at least 1");
  return { dedupeWindowDays: DEDUPE_WINDOW_DAYS, unmatchedDays: unmatched.data, rawPayloadDays: loadConfig(env).RAW_PAYLOAD_RETENTION_DAYS };
}

export interface PrunePageResult {
  /** Rows deleted (processed, ignored and unmatched past their retention). */
  deleted: number;
  /** Raw payloads dropped from rows that are kept. */
  payloadsDropped: number;
  /** Delivered or skipped outbox rows past OUTBOX_RETENTION_DAYS. */
  actionsDeleted: number;
  next: PruneInboxJob | null;
}

export async function pruneInboxPage(db: D1Database, policy: RetentionPolicy, job: PruneInboxJob): Promise<PrunePageResult> {
  const out: PrunePageResult = { deleted: 0, payloadsDropped: 0, actionsDeleted: 0, next: null };
  const steps = job.only === "applied" ? APPLIED_STEPS : PRUNE_STEPS;
  let step = job.step;
  for (let chunk = 0; chunk < CHUNKS_PER_PAGE && step < steps.length; chunk++) {
    const s = steps[step]!;
    const done = await pruneChunk(db, s, cutoffOf(s, policy, job.asOf));
    if (s.kind === "raw-payload") out.payloadsDropped += done.rows;
    else if (s.kind === "outbox") out.actionsDeleted += done.rows;
    else out.deleted += done.rows;
    if (!done.full) step++;
  }
  out.next = step < steps.length ? { ...job, step } : null;
  return out;
}

/** The hourly run (src/cron.ts): the applied carried deliveries' ids past their window, a chain of its own. */
export async function startHourlyRetention(env: Pick<Env, "EVENTS">, now: number): Promise<void> {
  await sendJobs(env.EVENTS, [{ job: "prune-inbox", asOf: now, step: 0, only: "applied" }]);
}
