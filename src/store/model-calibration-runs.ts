import { type CalibrationRow } from "../core/calibrate";
import { fromStoredRow, sampleKey, toStoredRow, type SampleState } from "../core/calibrate-sample";

/** Paged calibrations (migrations/0024_calibration_runs.sql): each run's cursor, sample state and result. */

export interface CalibrationRunOptions {
  horizonDays: number;
  stepDays: number;
  /** The instant every page judges outcomes by, so the pages agree. */
  until: number;
  /** Snapshots the fit samples at most (CALIBRATION_SAMPLE unless a test asks for fewer). */
  sampleSize: number;
  note?: string;
}

export interface CalibrationRun {
  id: string;
  status: "running" | "done" | "refused";
  cursor: string;
  options: CalibrationRunOptions;
  sample: SampleState;
  result: unknown;
  activeId: string;
  actor: string;
  startedAt: number;
  updatedAt: number;
}

type Row = { id: string; status: CalibrationRun["status"]; cursor: string; options: string; sample: string; result: string | null; active_id: string; actor: string; started_at: number; updated_at: number };

const toRun = (r: Row): CalibrationRun => ({
  id: r.id,
  status: r.status,
  cursor: r.cursor,
  options: JSON.parse(r.options),
  sample: JSON.parse(r.sample),
  result: r.result === null ? null : JSON.parse(r.result),
  activeId: r.active_id,
  actor: r.actor,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
});

export async function insertCalibrationRun(db: D1Database, r: CalibrationRun): Promise<void> {
  await db
    .prepare(`INSERT INTO calibration_runs (id, status, cursor, options, sample, result, active_id, actor, started_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`)
    .bind(r.id, r.status, r.cursor, JSON.stringify(r.options), JSON.stringify(r.sample), r.activeId, r.actor, r.startedAt, r.updatedAt)
    .run();
}

export async function loadCalibrationRun(db: D1Database, id: string): Promise<CalibrationRun | null> {
  const row = await db.prepare(`SELECT * FROM calibration_runs WHERE id = ?`).bind(id).first<Row>();
  return row ? toRun(row) : null;
}

/**
 * Stores a page's sampled rows, drops the stored rows the sample no longer holds (key above `threshold`) and
 * moves the cursor, all only if the run is still at `fromCursor`: a page delivered twice changes nothing the
 * second time. False when it was not saved.
 */
export async function saveCalibrationPage(
  db: D1Database,
  r: { id: string; fromCursor: string; cursor: string; sample: SampleState; kept: CalibrationRow[]; threshold: number | null; at: number },
): Promise<boolean> {
  const atCursor = `EXISTS (SELECT 1 FROM calibration_runs WHERE id = ?1 AND cursor = ?2 AND status = 'running')`;
  const rows = r.kept.map((row) => [row.customerId, row.at, sampleKey(row.customerId, row.at), JSON.stringify(toStoredRow(row))]);
  const [, , update] = await db.batch([
    db
      .prepare(
        `INSERT INTO calibration_samples (run_id, customer_id, at, key, row)
         SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
         FROM json_each(?3) WHERE ${atCursor}
         ON CONFLICT (run_id, customer_id, at) DO NOTHING`,
      )
      .bind(r.id, r.fromCursor, JSON.stringify(rows)),
    db.prepare(`DELETE FROM calibration_samples WHERE run_id = ?1 AND ?3 IS NOT NULL AND key > ?3 AND ${atCursor}`).bind(r.id, r.fromCursor, r.threshold),
    db
      .prepare(`UPDATE calibration_runs SET cursor = ?, sample = ?, updated_at = ? WHERE id = ? AND cursor = ? AND status = 'running'`)
      .bind(r.cursor, JSON.stringify(r.sample), r.at, r.id, r.fromCursor),
  ]);
  return update!.meta.changes === 1;
}

/** The run's sample as stored: at most the sample's size (plus rows whose keys tie). */
export async function loadCalibrationRows(db: D1Database, id: string): Promise<CalibrationRow[]> {
  const { results } = await db.prepare(`SELECT row FROM calibration_samples WHERE run_id = ?`).bind(id).all<{ row: string }>();
  return results.flatMap((p) => fromStoredRow(JSON.parse(p.row) as unknown[]) ?? []);
}

/** Ends a run with its result and drops its stored rows; only a running run at `cursor` ends (once). */
export async function finishCalibrationRun(db: D1Database, r: { id: string; cursor: string; status: "done" | "refused"; result: unknown; at: number }): Promise<boolean> {
  const [update] = await db.batch([
    db
      .prepare(`UPDATE calibration_runs SET status = ?, result = ?, updated_at = ? WHERE id = ? AND cursor = ? AND status = 'running'`)
      .bind(r.status, JSON.stringify(r.result), r.at, r.id, r.cursor),
    db.prepare(`DELETE FROM calibration_samples WHERE run_id = ? AND EXISTS (SELECT 1 FROM calibration_runs WHERE id = ? AND status != 'running')`).bind(r.id, r.id),
  ]);
  return update!.meta.changes === 1;
}
