import type { Env } from "../env";
import { errorFields, log } from "../log";
import { sendJobs } from "./enqueue";
import type { EventsQueueMessage } from "./messages";
import { firstFeedbackPage } from "./hubspot-feedback";

/**
 * The daily jobs run one after the other, as one chain of pages: when a job's last page is done (or its page
 * is dead-lettered) the first page of the next job is sent. So at most one job page is on the queue at a time,
 * and an invocation never carries the D1 work of two jobs. Loyalty goes first (payouts are due today); the
 * recompute, the longest, last.
 */
export const DAILY_JOBS = ["loyalty-daily", "reconcile-stripe", "freshdesk-csat", "hubspot-owners", "hubspot-feedback", "prune-inbox", "recompute"] as const;
export type DailyJob = (typeof DAILY_JOBS)[number];

export function firstPage(job: DailyJob, asOf: number): EventsQueueMessage {
  switch (job) {
    case "loyalty-daily":
      return { job, asOf, phase: "referrals", after: "" };
    case "reconcile-stripe":
      return { job, asOf, startingAfter: null };
    case "freshdesk-csat":
      return { job, asOf, page: 1 };
    case "hubspot-owners":
      return { job, asOf };
    case "hubspot-feedback":
      return firstFeedbackPage(asOf);
    case "prune-inbox":
      return { job, asOf, step: 0 };
    case "recompute":
      // The re-score of everyone as of today (recency decay, approaching renewals, the 24-hour rule).
      return { recomputeAfter: "", asOf };
    default: {
      const unknown: never = job;
      throw new Error(`unknown daily job ${String(unknown)}`);
    }
  }
}

/** The first page of the job that follows `job` in the daily chain, or null after the last one. */
export function nextDailyJob(job: DailyJob, asOf: number): EventsQueueMessage | null {
  const next = DAILY_JOBS[DAILY_JOBS.indexOf(job) + 1];
  return next ? firstPage(next, asOf) : null;
}

/** The daily cron only starts the chain: one queue send, so the scheduled invocation itself stays tiny. */
export async function startDailyJobs(env: Env, now: number): Promise<void> {
  try {
    await sendJobs(env.EVENTS, [firstPage(DAILY_JOBS[0], now)]);
  } catch (err) {
    log("error", "the daily jobs could not be started; they start again with tomorrow's run", errorFields(err));
    throw err;
  }
  log("info", "daily jobs started", { jobs: DAILY_JOBS, asOf: now });
}
