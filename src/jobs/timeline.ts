import type { TenureConfig } from "../core/config";
import { TIMELINE_DAYS_PER_STEP, addDays, buildTimeline, dayClose, dayStart, daysBetween } from "../core/timeline";
import { loadCustomers } from "../store/customers";
import { loadTimelines, timelineStmts } from "../store/timeline";
import { timelineDoneStmt, timelineGoneStmt } from "../store/timeline-due";

/** Recomputes the older part of a customer's timeline that a step left (bounded days per page). */
export interface TimelinePage {
  customerId: string;
  from: string;
  to: string;
  /** The record its last page clears (src/store/timeline-due.ts). */
  dueTo?: string;
  dueAt?: number;
}

/**
 * One page: the newest TIMELINE_DAYS_PER_STEP days of [from, to] from the customer's current state, written
 * in one batch (four statements); returns the rest, or null. Idempotent: a repeated page rewrites the same rows.
 */
export async function timelinePage(db: D1Database, cfg: TenureConfig, now: number, job: TimelinePage): Promise<TimelinePage | null> {
  const customer = (await loadCustomers(db, [job.customerId])).get(job.customerId);
  if (!customer) {
    await timelineGoneStmt(db, job.customerId).run();
    return null;
  }
  const from = daysBetween(job.from, job.to) < TIMELINE_DAYS_PER_STEP ? job.from : addDays(job.to, -(TIMELINE_DAYS_PER_STEP - 1));
  const fromAt = dayStart(from);
  const history = (await loadTimelines(db, [{ id: job.customerId, since: fromAt - 1 }])).get(job.customerId) ?? [];
  const prev = [...history].reverse().find((p) => p.at < fromAt) ?? null;
  const built = buildTimeline(customer.state, cfg, { from, to: job.to }, now, prev);
  const stmts = timelineStmts(db, job.customerId, fromAt, dayClose(job.to), built.points, built.stages);
  // The day after this range was computed by a newer step against the stale day before it: redo its stage change.
  const next = await db
    .prepare(`SELECT at, stage FROM score_history WHERE customer_id = ? AND at > ? ORDER BY at LIMIT 1`)
    .bind(job.customerId, dayClose(job.to))
    .first<{ at: number; stage: string }>();
  const boundary = addDays(job.to, 1);
  if (built.last && next && next.at === dayClose(boundary)) {
    const inDay = [job.customerId, dayStart(boundary), dayClose(boundary)] as const;
    if (built.last.stage === next.stage) stmts.push(db.prepare(`DELETE FROM stage_transitions WHERE customer_id = ? AND at BETWEEN ? AND ?`).bind(...inDay));
    else {
      stmts.push(
        db.prepare(`UPDATE stage_transitions SET from_stage = ? WHERE customer_id = ? AND at BETWEEN ? AND ? AND to_stage = ?`).bind(built.last.stage, ...inDay, next.stage),
        db
          .prepare(
            `INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage) SELECT ?1, ?2, ?4, ?5
             WHERE NOT EXISTS (SELECT 1 FROM stage_transitions WHERE customer_id = ?1 AND at BETWEEN ?2 AND ?3 AND to_stage = ?5)`,
          )
          .bind(...inDay, built.last.stage, next.stage),
      );
    }
  }
  const rest = from > job.from ? { ...job, to: addDays(from, -1) } : null;
  const done = rest ? null : timelineDoneStmt(db, job);
  await db.batch(done ? [...stmts, done] : stmts);
  return rest;
}
