import type { TenureConfig } from "./core/config";
import { loadConfig, type Env } from "./env";
import { errorFields, log } from "./log";
import { scoreStep, timelineSince, type TimelineJob } from "./pipeline";
import { enqueue } from "./jobs/enqueue";
import { loadCustomers } from "./store/customers";
import { loadTimelines } from "./store/timeline";
import { outboundDeps } from "./plugins/destinations";

const PAGE = 100;

/**
 * Re-scores every customer as of `now` (recency decay, approaching renewals, the 24-hour rule), in pages
 * so each stays well within the Workers CPU limit. A page that loses a race with the event consumer is
 * skipped: that customer was just scored anyway.
 */
export async function recomputeAll(env: Env, cfg: TenureConfig, now: number, opts: { maxPages?: number; after?: string } = {}): Promise<number> {
  return (await recomputePages(env, cfg, now, opts)).count;
}

/** Re-scores up to `maxPages` pages after customer id `after`; returns where it stopped (null when done). */
export async function recomputePages(
  env: Env,
  cfg: TenureConfig,
  now: number,
  opts: { maxPages?: number; after?: string } = {},
): Promise<{ count: number; next: string | null; timelineJobs: TimelineJob[] }> {
  const timelineJobs: TimelineJob[] = [];
  const outbound = outboundDeps(loadConfig(env));
  let after = opts.after ?? "";
  let count = 0;
  for (let page = 0; page < (opts.maxPages ?? Infinity); page++) {
    const { results } = await env.DB.prepare(`SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?`).bind(after, PAGE).all<{ id: string }>();
    if (results.length === 0) return { count, next: null, timelineJobs };
    after = results[results.length - 1]!.id;
    const ids = results.map((r) => r.id);
    const stored = await loadCustomers(env.DB, ids);
    const history = await loadTimelines(env.DB, [...stored.values()].map((c) => ({ id: c.id, since: timelineSince(c, [], now) })));
    const actionIds: string[] = [];
    for (const [id, customer] of stored) {
      const step = scoreStep({ db: env.DB, cfg, now, ...outbound }, id, customer, [], history.get(id) ?? [], customer.externalIds);
      try {
        await env.DB.batch(step.stmts);
        actionIds.push(...step.actions.map((a) => a.id));
        if (step.timelineJob) timelineJobs.push(step.timelineJob);
        count++;
      } catch (err) {
        log("warn", "recompute skipped a customer that changed meanwhile", { customerId: id, ...errorFields(err) });
      }
    }
    await enqueue(env.ACTIONS, actionIds.map((actionId) => ({ actionId })));
    if (results.length < PAGE) return { count, next: null, timelineJobs };
  }
  return { count, next: after, timelineJobs };
}
