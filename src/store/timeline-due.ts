import type { TimelineJob } from "../pipeline";

/**
 * The record of days a step left to a timeline job, written in the same commit: a second deferral for the same
 * customer widens the range and takes its time, so a job that started before it does not clear it.
 */
export function timelineDueStmt(db: D1Database, job: TimelineJob & { dueAt: number }): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO timeline_due (customer_id, from_day, to_day, due_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (customer_id) DO UPDATE SET from_day = min(from_day, excluded.from_day), to_day = max(to_day, excluded.to_day), due_at = excluded.due_at`,
    )
    .bind(job.customerId, job.from, job.to, job.dueAt);
}

/**
 * Clears the record once a job's last page has written its days: only if the job covered the whole recorded range
 * and no deferral came after the job was sent. Otherwise the record stays, and the sweeper sends its range again:
 * after two overlapping deferrals (each job covering part of the widened range) that repeat is redundant, but a
 * record is never cleared while days it holds may be unwritten.
 */
export function timelineDoneStmt(db: D1Database, job: TimelineJob): D1PreparedStatement | null {
  if (job.dueTo === undefined || job.dueAt === undefined) return null;
  return db
    .prepare(`DELETE FROM timeline_due WHERE customer_id = ? AND from_day >= ? AND to_day <= ? AND due_at <= ?`)
    .bind(job.customerId, job.from, job.dueTo, job.dueAt);
}

/** A record whose customer is gone (merged away, never created) is dropped with its job. */
export function timelineGoneStmt(db: D1Database, customerId: string): D1PreparedStatement {
  return db.prepare(`DELETE FROM timeline_due WHERE customer_id = ?`).bind(customerId);
}

/** Jobs are normally done within seconds; a record this old lost its job (or waits behind a long backlog: a repeat is harmless). */
export const TIMELINE_DUE_AFTER_MS = 30 * 60_000;
const PER_SWEEP = 50;

/**
 * The records that have waited past TIMELINE_DUE_AFTER_MS, at most PER_SWEEP of them, as jobs to send again: each
 * is stamped now, so the next sweeps leave it to this job unless it is lost too.
 */
export async function overdueTimelineJobs(db: D1Database, now: number): Promise<TimelineJob[]> {
  const { results } = await db
    .prepare(
      `UPDATE timeline_due SET due_at = ?1
       WHERE customer_id IN (SELECT customer_id FROM timeline_due WHERE due_at < ?2 ORDER BY due_at LIMIT ?3)
       RETURNING customer_id, from_day, to_day`,
    )
    .bind(now, now - TIMELINE_DUE_AFTER_MS, PER_SWEEP)
    .all<{ customer_id: string; from_day: string; to_day: string }>();
  return results.map((r) => ({ customerId: r.customer_id, from: r.from_day, to: r.to_day, dueTo: r.to_day, dueAt: now }));
}
