import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import { errorFields, log } from "../log";
import { recomputePages } from "../recompute";
import { nextDailyJob, type DailyJob } from "./daily";
import { sendJobs, sendTimelineJobs } from "./enqueue";
import { loyaltyDailyPage } from "./loyalty-daily";
import { jobMessageSchema, namesJob, recomputeMessageSchema, type EventsQueueMessage, type FirstValueJob, type JobMessage, type ModelRescoreJob, type RecomputeMessage, type TimelineJobMessage } from "./messages";
import { erasePage, type ShardCopies } from "./erase";
import { forgetCopies, timelineOnShard } from "../shard/route";
import { firstValuePage } from "./first-value";
import { digestPage } from "./digest";
import { pruneInboxPage, retentionPolicy } from "./prune-inbox";
import { reconcileStripePage } from "./reconcile-stripe";
import { freshdeskCsatPage } from "./freshdesk-csat";
import { hubspotFeedbackPage } from "./hubspot-feedback";
import { startOwnersSync } from "./owners-sync";
import { modelRescorePage } from "./model-rescore";
import { modelPreviewPage } from "./model-preview";
import { modelCalibratePage } from "./model-calibrate";
import { activeTenureConfig } from "../store/model-versions";

/** TENURE_CONFIG with the active health model version (src/store/model-versions.ts). */
const configOf = async (env: Env) => activeTenureConfig(env.DB, tenureConfig(loadConfig(env).TENURE_CONFIG));

/** Customer pages per recompute message: each step has its own CPU budget, and a failed step costs one page. */
export const RECOMPUTE_PAGES_PER_MESSAGE = 1;

export type JobPage = { kind: "job"; body: JobMessage } | { kind: "recompute"; body: RecomputeMessage };

/** Reads a job page off the events queue; null for an event message. Throws for a job message it cannot read. */
export function readJobPage(body: unknown): JobPage | null {
  const recompute = recomputeMessageSchema.safeParse(body);
  if (recompute.success) return { kind: "recompute", body: recompute.data };
  if (!namesJob(body)) return null;
  return { kind: "job", body: jobMessageSchema.parse(body) };
}

/** Runs one page and returns the message that continues the daily chain: this job's next page, else the next job's first. */
export async function runJobPage(env: Env, page: JobPage): Promise<EventsQueueMessage | null> {
  // A timeline job belongs to one customer, not to the daily chain.
  if (page.kind === "job" && page.body.job === "timeline") return runTimelinePage(env, page.body);
  if (page.kind === "job" && page.body.job === "erase") return erasePage(env.DB, Date.now(), page.body, shardCopies(env));
  if (page.kind === "job" && page.body.job === "first-value") return runFirstValuePage(env, page.body);
  if (page.kind === "job" && page.body.job === "digest") return digestPage(env, tenureConfig(loadConfig(env).TENURE_CONFIG), page.body);
  if (page.kind === "job" && page.body.job === "model-rescore") return runModelRescorePage(env, page.body);
  if (page.kind === "job" && page.body.job === "model-preview") return modelPreviewPage(env, page.body, Date.now());
  if (page.kind === "job" && page.body.job === "model-calibrate") return modelCalibratePage(env, page.body, Date.now());
  // The hourly retention of applied ids is its own chain too (src/jobs/prune-inbox.ts).
  if (page.kind === "job" && page.body.job === "prune-inbox" && page.body.only) return runPage(env, page);
  return (await runPage(env, page)) ?? nextDailyJob(jobName(page), asOfOf(page));
}

async function runTimelinePage(env: Env, job: TimelineJobMessage): Promise<EventsQueueMessage | null> {
  const next = await timelineOnShard(env.SHARDS, loadConfig(env).ACCOUNT_SHARDS, env.DB, await configOf(env), Date.now(), job);
  return next ? { job: "timeline", ...next } : null;
}

/** The hourly first-value check is its own chain, outside the daily one. */
async function runFirstValuePage(env: Env, job: FirstValueJob): Promise<EventsQueueMessage | null> {
  const { next, timelineJobs } = await firstValuePage(env, () => configOf(env), job);
  await sendTimelineJobs(env, timelineJobs);
  return next;
}

/** An activation's re-score is its own chain, outside the daily one. */
async function runModelRescorePage(env: Env, job: ModelRescoreJob): Promise<EventsQueueMessage | null> {
  const { next, timelineJobs } = await modelRescorePage(env, job, Date.now());
  await sendTimelineJobs(env, timelineJobs);
  return next;
}

async function runPage(env: Env, page: JobPage): Promise<EventsQueueMessage | null> {
  if (page.kind === "recompute") {
    const { recomputeAfter, asOf } = page.body;
    const { next, timelineJobs } = await recomputePages(env, await configOf(env), asOf, { after: recomputeAfter, maxPages: RECOMPUTE_PAGES_PER_MESSAGE });
    await sendTimelineJobs(env, timelineJobs);
    return next === null ? null : { recomputeAfter: next, asOf };
  }
  const job = page.body;
  switch (job.job) {
    case "prune-inbox": {
      const r = await pruneInboxPage(env.DB, retentionPolicy(env), job);
      if (r.deleted || r.payloadsDropped || r.actionsDeleted) log("info", "retention page", { step: job.step, deleted: r.deleted, payloadsDropped: r.payloadsDropped, actionsDeleted: r.actionsDeleted });
      return r.next;
    }
    case "reconcile-stripe":
      return (await reconcileStripePage(env, job)).nextJob;
    case "freshdesk-csat":
      return freshdeskCsatPage(env, job, Date.now());
    case "hubspot-feedback":
      return hubspotFeedbackPage(env, job, Date.now());
    case "hubspot-owners":
      await startOwnersSync(env, job.asOf);
      return null;
    case "timeline":
      return runTimelinePage(env, job);
    case "erase":
      return erasePage(env.DB, Date.now(), job, shardCopies(env));
    case "first-value":
      return runFirstValuePage(env, job);
    case "digest":
      return digestPage(env, tenureConfig(loadConfig(env).TENURE_CONFIG), job);
    case "model-rescore":
      return runModelRescorePage(env, job);
    case "model-preview":
      return modelPreviewPage(env, job, Date.now());
    case "model-calibrate":
      return modelCalibratePage(env, job, Date.now());
    case "loyalty-daily": {
      const r = await loyaltyDailyPage(env, await configOf(env), job);
      if (r.paid || r.held || r.occasions) log("info", "loyalty daily page", { phase: job.phase, paid: r.paid, held: r.held, occasions: r.occasions });
      return r.next;
    }
    default: {
      const unknown: never = job;
      throw new Error(`unknown job ${JSON.stringify(unknown)}`);
    }
  }
}

const jobName = (page: JobPage): DailyJob => (page.kind === "recompute" ? "recompute" : (page.body.job as DailyJob));
const asOfOf = (page: JobPage): number => ("asOf" in page.body ? page.body.asOf : Date.now());

/** Retries back off from 30 s to 10 min, so a vendor outage (Stripe's list) is waited out over the queue's retries. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(600, 30 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Runs each job page of a batch (the daily chain keeps it to one, bar duplicates): the next page is sent before
 * the message is acked, so a crash in between repeats a page (every page is idempotent) rather than losing the
 * rest of the chain. A failed page is retried by the queue, and dead-lettered after max_retries.
 */
export async function consumeJobPages(env: Env, pages: { msg: Message<unknown>; page: JobPage }[]): Promise<void> {
  for (const { msg, page } of pages) {
    try {
      const next = await runJobPage(env, page);
      if (next) await sendJobs(env.EVENTS, [next]);
      msg.ack();
    } catch (err) {
      log("warn", "a job page failed; the queue retries it", { ...describeJobPage(page), attempts: msg.attempts, ...errorFields(err) });
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
  }
}

/**
 * A dead-lettered page is logged and acked, and the rest of its job is skipped until tomorrow's run; the
 * next job of the daily chain starts, so one failing job does not hold up the others. Nothing loops.
 */
export async function deadLetterJobPages(env: Env, pages: { msg: Message<unknown>; page: JobPage }[]): Promise<void> {
  for (const { msg, page } of pages) {
    log("error", "a job page failed on every retry; the rest of this job is skipped until its next run", describeJobPage(page));
    const next = page.kind === "job" && (page.body.job === "timeline" || page.body.job === "erase" || page.body.job === "first-value" || page.body.job === "digest" || page.body.job === "model-rescore" || page.body.job === "model-preview" || page.body.job === "model-calibrate") ? null : nextDailyJob(jobName(page), asOfOf(page));
    if (next) await sendJobs(env.EVENTS, [next]);
    msg.ack();
  }
}

export function describeJobPage(page: JobPage): Record<string, unknown> {
  return page.kind === "recompute" ? { job: "recompute", after: page.body.recomputeAfter, asOf: page.body.asOf } : { ...page.body };
}

/**
 * Shards above ACCOUNT_SHARDS still hold copies for their retention (30 days) after the count is lowered, as it was
 * from 256 to 16: an erasure clears at least that many, so a person's data leaves those too.
 */
const SHARDS_ERASED_AT_LEAST = 256;

function shardCopies(env: Env): ShardCopies {
  return { count: env.SHARDS ? Math.max(loadConfig(env).ACCOUNT_SHARDS, SHARDS_ERASED_AT_LEAST) : 0, forget: (from, to) => forgetCopies(env.SHARDS, from, to) };
}
