import { loadConfig, type Env } from "./env";
import { log } from "./log";
import { enqueue } from "./jobs/enqueue";
import { startDailyJobs } from "./jobs/daily";
import { startFirstValueJob } from "./jobs/first-value";
import { startDigestJob } from "./jobs/digest";
import { startHourlyRetention } from "./jobs/prune-inbox";
import { tenureConfig } from "./config";
import { overdueActions } from "./store/outbox";
import { staleReceived } from "./store/inbox";
import { recordRescues } from "./store/sweeper";
import { resolveStripeDiscountsHourly } from "./jobs/stripe-discounts";
import { overdueTimelineJobs } from "./store/timeline-due";
import { sendTimelineJobs } from "./jobs/enqueue";

export const SWEEP_AFTER_MS = 2 * 60_000;
export const MAX_EVENT_ATTEMPTS = 10;

/**
 * Every few minutes: anything committed but not applied and overdue actions go back on their queues. Each
 * webhook request hands its own rows to the queue before answering, so an inbox row found here with no
 * attempt is one whose hand-off was lost (or that has waited in the queue past the threshold, and would be
 * counted again at the next run): it is counted as rescued (shown in /health) and warned about.
 */
export async function sweep(env: Env, now: number): Promise<{ events: number; rescued: number; actions: number }> {
  const stale = await staleReceived(env.DB, now, SWEEP_AFTER_MS, MAX_EVENT_ATTEMPTS);
  await enqueue(env.EVENTS, stale.map((r) => ({ eventId: r.id })));
  const actions = await overdueActions(env.DB, now, 60_000);
  await enqueue(env.ACTIONS, actions.map((actionId) => ({ actionId })));
  // Older days of timelines not confirmed done: a job lost between a commit and its send, or two deferrals for one
  // customer whose jobs each covered only part of the widened record (the repeat recomputes days already right).
  const timelines = await overdueTimelineJobs(env.DB, now);
  if (timelines.length > 0) {
    log("info", "sweeper re-sent timeline jobs whose days were not confirmed done", { count: timelines.length });
    await sendTimelineJobs(env, timelines);
  }
  // Counted last, so that a failure to count never holds back the work above.
  const rescued = stale.filter((r) => r.attempts === 0);
  if (rescued.length > 0) {
    log("warn", "sweeper rescued inbox rows never handed to the queue", { rescued: rescued.length, oldest: rescued[0]!.id, olderThanMs: SWEEP_AFTER_MS });
    await recordRescues(env.DB, rescued.length, now);
  }
  if (stale.length || actions.length) log("info", "sweeper re-enqueued work", { events: stale.length, rescued: rescued.length, actions: actions.length });
  return { events: stale.length, rescued: rescued.length, actions: actions.length };
}

/**
 * Daily: the loyalty program's daily work, Stripe reconciliation, the inbox's retention and the recompute.
 * They run as one chain of bounded pages on the events queue (src/jobs/daily.ts); this only starts it. The
 * chain's HubSpot owners step only plans the sync: its vendor calls ride on the outbox, under the HubSpot gate.
 */
export async function daily(env: Env, now: number): Promise<void> {
  await startDailyJobs(env, now);
}

/** An hourly trigger ("7 * * * *"): a fixed minute, every hour. */
export function isHourlyCron(cron: string): boolean {
  return /^\d{1,2} \* \* \* \*$/.test(cron.trim());
}

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime || Date.now();
  if (controller.cron.startsWith("*/")) await sweep(env, now);
  else if (isHourlyCron(controller.cron)) {
    await startFirstValueJob(env, now);
    await resolveStripeDiscountsHourly(env, now);
    await startDigestJob(env, tenureConfig(loadConfig(env).TENURE_CONFIG), now);
    await startHourlyRetention(env, now);
  }
  else await daily(env, now);
}
