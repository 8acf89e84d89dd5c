import type { TenureConfig } from "../core/config";
import { TIMELINE_DAYS_PER_STEP, addDays, buildTimeline, dayClose, dayStart, daysBetween } from "../core/timeline";
import { loadCustomers } from "../store/customers";
import { loadTimelines, timelineStmts } from "../store/timeline";

/** Recomputes the older part of a customer's timeline that a step left (bounded days per page). */
export interface TimelinePage {
  customerId: string;
  from: string;
  to: string;
}

/**
 * One page: the newest TIMELINE_DAYS_PER_STEP days of [from, to] from the customer's current state, written
 * in one batch (four statements); returns the rest, or null. Idempotent: a repeated page rewrites the same rows.
 */
export async function timelinePage(db: D1Database, cfg: TenureConfig, now: number, job: TimelinePage): Promise<TimelinePage | null> {
  const customer = (await loadCustomers(db, [job.customerId])).get(job.customerId);
  if (!customer) return null;
  const from = daysBetween(job.from, job.to) < TIMELINE_DAYS_PER_STEP ? job.from : addDays(job.to, -(TIMELINE_DAYS_PER_STEP - 1));
  const fromAt = dayStart(from);
  const history = (await loadTimelines(db, [{ id: job.customerId, since: fromAt - 1 }])).get(job.customerId) ?? [];
  const prev = [...history].reverse().find((p) => p.at < fromAt) ?? null;
  const built = buildTimeline(customer.state, cfg, { from, to: job.to }, now, prev);
  await db.batch(timelineStmts(db, job.customerId, fromAt, dayClose(job.to), built.points, built.stages));
  return from > job.from ? { customerId: job.customerId, from: job.from, to: addDays(from, -1) } : null;
}
