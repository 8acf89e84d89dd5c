import { FIRST_VALUE_LOOKBACK_MS } from "../core/alert-first-value";
import type { TenureConfig } from "../core/config";
import { loadConfig, type Env } from "../env";
import { errorFields, log } from "../log";
import { scoreStep, timelineSince, type TimelineJob } from "../pipeline";
import { loadCustomers } from "../store/customers";
import { firstValueDuePage, usageObserved } from "../store/first-value";
import { loadTimelines } from "../store/timeline";
import { outboundDeps } from "../plugins/destinations";
import { enqueue, sendJobs } from "./enqueue";
import type { FirstValueJob } from "./messages";

const PAGE = 50;

/**
 * The hourly cron: the 24-hour first-value rule is checked within the hour after a deadline passes, not at
 * the next daily recompute. Only the customers whose deadline just passed are read (an indexed range).
 */
export async function startFirstValueJob(env: Env, now: number): Promise<void> {
  await sendJobs(env.EVENTS, [{ job: "first-value", asOf: now, after: "" }]);
}

/**
 * Re-scores one page of those customers as of the cron's time, so the planner sees the deadline pass and
 * alerts it (once; src/core/alert-rules.ts). Returns the next page, or null when done.
 */
export async function firstValuePage(env: Env, config: () => Promise<TenureConfig>, job: FirstValueJob): Promise<{ next: FirstValueJob | null; timelineJobs: TimelineJob[] }> {
  const ids = await firstValueDuePage(env.DB, job.asOf - FIRST_VALUE_LOOKBACK_MS, job.asOf, job.after, PAGE);
  if (ids.length === 0) return { next: null, timelineJobs: [] };
  // The active model is read only when there is someone to score: most hourly pages find no one.
  const cfg = await config();
  const usageConnected = Boolean(loadConfig(env).SEGMENT_SHARED_SECRET) && (await usageObserved(env.DB));
  const stored = await loadCustomers(env.DB, ids);
  const history = await loadTimelines(env.DB, [...stored.values()].map((c) => ({ id: c.id, since: timelineSince(c, [], job.asOf) })));
  const actionIds: string[] = [];
  const timelineJobs: TimelineJob[] = [];
  for (const [id, customer] of stored) {
    const step = scoreStep({ db: env.DB, cfg, now: job.asOf, usageConnected, ...outboundDeps(loadConfig(env)) }, id, customer, [], history.get(id) ?? [], customer.externalIds);
    try {
      await env.DB.batch(step.stmts);
      actionIds.push(...step.actions.map((a) => a.id));
      if (step.timelineJob) timelineJobs.push(step.timelineJob);
    } catch (err) {
      // Another writer scored it meanwhile; the next hourly run still finds its deadline in the lookback.
      log("warn", "first-value check skipped a customer that changed meanwhile", { customerId: id, ...errorFields(err) });
    }
  }
  await enqueue(env.ACTIONS, actionIds.map((actionId) => ({ actionId })));
  return { next: ids.length < PAGE ? null : { ...job, after: ids[ids.length - 1]! }, timelineJobs };
}
