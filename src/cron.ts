import type { Env } from "./env";
import { log } from "./log";
import { enqueue } from "./jobs/enqueue";
import { startDailyJobs } from "./jobs/daily";
import { overdueActions } from "./store/outbox";
import { staleReceived } from "./store/inbox";

export const SWEEP_AFTER_MS = 2 * 60_000;
export const MAX_EVENT_ATTEMPTS = 10;

/** Every few minutes: anything committed but not applied (a lost enqueue) and overdue actions go back on their queues. */
export async function sweep(env: Env, now: number): Promise<{ events: number; actions: number }> {
  const events = await staleReceived(env.DB, now, SWEEP_AFTER_MS, MAX_EVENT_ATTEMPTS);
  await enqueue(env.EVENTS, events.map((eventId) => ({ eventId })));
  const actions = await overdueActions(env.DB, now, 60_000);
  await enqueue(env.ACTIONS, actions.map((actionId) => ({ actionId })));
  if (events.length || actions.length) log("info", "sweeper re-enqueued work", { events: events.length, actions: actions.length });
  return { events: events.length, actions: actions.length };
}

/**
 * Daily: the loyalty program's daily work, Stripe reconciliation, the inbox's retention and the recompute.
 * They run as one chain of bounded pages on the events queue (src/jobs/daily.ts); this only starts it.
 */
export async function daily(env: Env, now: number): Promise<void> {
  await startDailyJobs(env, now);
}

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime || Date.now();
  if (controller.cron.startsWith("*/")) await sweep(env, now);
  else await daily(env, now);
}
