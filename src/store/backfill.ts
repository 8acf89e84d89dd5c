import { insertDeliveryStmt, type NewInboxRow } from "./inbox";

/** Backfill runs and their per-object cursors (migrations/0003_backfill.sql). */

export type RunStatus = "running" | "failed" | "done";

export interface BackfillRun {
  source: string;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  updatedAt: number;
  leaseUntil: number | null;
  lastError: string | null;
}

export interface BackfillCursor {
  object: string;
  position: number;
  cursor: string | null;
  done: boolean;
  pages: number;
  read: number;
  imported: number;
}

export async function loadRun(db: D1Database, source: string): Promise<{ run: BackfillRun; cursors: BackfillCursor[] } | null> {
  const [run, cursors] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT * FROM backfill_runs WHERE source = ?`).bind(source),
    db.prepare(`SELECT * FROM backfill_cursors WHERE source = ? ORDER BY position`).bind(source),
  ]);
  const r = run?.results[0];
  if (!r) return null;
  return {
    run: {
      source,
      status: r.status as RunStatus,
      startedAt: Number(r.started_at),
      finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      updatedAt: Number(r.updated_at),
      leaseUntil: r.lease_until === null ? null : Number(r.lease_until),
      lastError: (r.last_error as string | null) ?? null,
    },
    cursors: (cursors?.results ?? []).map((c) => ({
      object: String(c.object),
      position: Number(c.position),
      cursor: (c.cursor as string | null) ?? null,
      done: Number(c.done) === 1,
      pages: Number(c.pages),
      read: Number(c.read),
      imported: Number(c.imported),
    })),
  };
}

/** A new run: every object back to its first page. */
export async function startRun(db: D1Database, source: string, objects: readonly string[], now: number): Promise<void> {
  const cursor = db.prepare(`INSERT INTO backfill_cursors (source, object, position, updated_at) VALUES (?, ?, ?, ?)`);
  await db.batch([
    db.prepare(`DELETE FROM backfill_cursors WHERE source = ?`).bind(source),
    db
      .prepare(
        `INSERT INTO backfill_runs (source, status, started_at, updated_at) VALUES (?, 'running', ?, ?)
         ON CONFLICT (source) DO UPDATE SET status = 'running', started_at = excluded.started_at, finished_at = NULL,
           updated_at = excluded.updated_at, lease_until = NULL, last_error = NULL`,
      )
      .bind(source, now, now),
    ...objects.map((o, i) => cursor.bind(source, o, i, now)),
  ]);
}

/** A failed run continues from its cursors. */
export async function resumeRun(db: D1Database, source: string, now: number): Promise<void> {
  await db.prepare(`UPDATE backfill_runs SET status = 'running', last_error = NULL, updated_at = ? WHERE source = ? AND status = 'failed'`).bind(now, source).run();
}

/** Takes the run's lease so one worker imports a page at a time; false when another holds it. */
export async function claimLease(db: D1Database, source: string, now: number, leaseMs: number): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE backfill_runs SET lease_until = ? WHERE source = ? AND status = 'running' AND (lease_until IS NULL OR lease_until <= ?)`)
    .bind(now + leaseMs, source, now)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

export async function releaseLease(db: D1Database, source: string): Promise<void> {
  await db.prepare(`UPDATE backfill_runs SET lease_until = NULL WHERE source = ?`).bind(source).run();
}

export async function failRun(db: D1Database, source: string, error: string, now: number): Promise<void> {
  await db
    .prepare(`UPDATE backfill_runs SET status = 'failed', last_error = ?, lease_until = NULL, updated_at = ? WHERE source = ? AND status = 'running'`)
    .bind(error.slice(0, 1000), now, source)
    .run();
}

/** Marks the run done once no object has pages left. */
export async function finishRun(db: D1Database, source: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE backfill_runs SET status = 'done', finished_at = ?, updated_at = ?, lease_until = NULL
       WHERE source = ? AND status = 'running' AND NOT EXISTS (SELECT 1 FROM backfill_cursors WHERE source = ? AND done = 0)`,
    )
    .bind(now, now, source, source)
    .run();
}

export interface PageCommit {
  source: string;
  object: string;
  /** Pages committed before this one: the version guard. */
  pagesBefore: number;
  next: string | null;
  rows: NewInboxRow[];
  now: number;
  /** Unique per step: marks the rows and the cursor move of this commit. */
  requestId: string;
}

/** Offset of the first inbox insert in pageCommitStmts, for reading which rows were new. */
export const PAGE_ROWS_OFFSET = 2;

/**
 * One atomic commit: the cursor moves (guarded, so a worker whose lease lapsed cannot commit a page
 * twice), the page's inbox rows are inserted, the new ones are counted, and the lease is released.
 */
export function pageCommitStmts(db: D1Database, p: PageCommit): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE backfill_cursors SET cursor = ?, done = ?, pages = pages + 1, read = read + ?, updated_at = ?, committed_by = ?
         WHERE source = ? AND object = ? AND pages = ?`,
      )
      .bind(p.next, p.next === null ? 1 : 0, p.rows.length, p.now, p.requestId, p.source, p.object, p.pagesBefore),
    db
      .prepare(
        `INSERT INTO batch_guard (x) SELECT NULL
         WHERE NOT EXISTS (SELECT 1 FROM backfill_cursors WHERE source = ? AND object = ? AND pages = ? AND committed_by = ?)`,
      )
      .bind(p.source, p.object, p.pagesBefore + 1, p.requestId),
    ...p.rows.map((r) => insertDeliveryStmt(db, r)),
    // Rows inserted by this batch are the only ones with this request id and receipt time.
    db
      .prepare(
        `UPDATE backfill_cursors SET imported = imported + (SELECT COUNT(*) FROM inbox_events
           WHERE status IN ('received', 'ignored') AND received_at = ? AND request_id = ?)
         WHERE source = ? AND object = ?`,
      )
      .bind(p.now, p.requestId, p.source, p.object),
    db.prepare(`UPDATE backfill_runs SET lease_until = NULL, updated_at = ? WHERE source = ?`).bind(p.now, p.source),
  ];
}

/** True when a batch failed on its version guard (another worker committed first). */
export function isGuardFailure(err: unknown): boolean {
  return err instanceof Error && /batch_guard/.test(err.message);
}
