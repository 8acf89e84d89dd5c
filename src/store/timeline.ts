import { jsonArrays } from "./limits";
import type { StageChange, TimelinePoint } from "../core/timeline";
import type { Band } from "../core/health";
import type { Stage } from "../core/lifecycle";

/** A stored timeline point, as the trend, the drop alert and the charts read it. */
export interface StoredPoint {
  at: number;
  score: number;
  band: Band;
  stage: Stage;
  /** The model version that made the point (points of another version are not compared with today's score). */
  modelVersion?: string;
  /** The components as stored (JSON text): a recompute that finds the same point writes nothing. */
  components?: string;
}

/**
 * Each customer's timeline from `since` on, plus the latest point before it (the score holds until the
 * next point, so that one gives the value at `since` however long the score has been flat).
 */
export async function loadTimelines(db: D1Database, wanted: { id: string; since: number }[]): Promise<Map<string, StoredPoint[]>> {
  const out = new Map<string, StoredPoint[]>(wanted.map((w) => [w.id, []]));
  if (wanted.length === 0) return out;
  // One statement for the whole list (a consumer batch's customers, 100 at most): a customer's 31 days are a few
  // dozen rows, far under D1's 50 MB per result.
  const rows = await db
    .prepare(
      `SELECT w.value ->> '$[0]' AS id, h.at, h.score, h.band, h.stage, h.model_version AS modelVersion, h.components
       FROM json_each(?1) w JOIN score_history h ON h.customer_id = w.value ->> '$[0]'
         AND h.at >= COALESCE((SELECT MAX(at) FROM score_history WHERE customer_id = w.value ->> '$[0]' AND at < w.value ->> '$[1]'), w.value ->> '$[1]')
       ORDER BY id, h.at`,
    )
    .bind(JSON.stringify(wanted.map((w) => [w.id, w.since])))
    .all<StoredPoint & { id: string }>();
  for (const { id, ...p } of rows.results) out.get(id)!.push(p);
  return out;
}

/** Whether a recompute deletes the range's stored points and stage changes that it no longer has. */
export interface TimelineDeletes {
  scores: boolean;
  stages: boolean;
}

/**
 * Replaces the timeline rows and stage changes of [fromAt, toAt] with the recomputed ones, writing only what
 * differs (D1 bills every row written, and a recomputed range is mostly unchanged): rows of the range that are
 * no longer points are deleted, changed ones updated, new ones inserted. At most four statements; the deletes
 * only where the caller cannot rule them out (`deletes`; days never computed before need none), and the upsert
 * only for the points in `written` (the caller leaves out those it knows are stored as they are). A caller that
 * writes points and stage changes with other customers' (`pointsUpsertStmts`, `stagesUpsertStmts`) passes none.
 */
export function timelineStmts(
  db: D1Database,
  customerId: string,
  fromAt: number,
  toAt: number,
  points: readonly TimelinePoint[],
  stages: readonly StageChange[],
  deletes: TimelineDeletes = { scores: true, stages: true },
  written: readonly TimelinePoint[] = points,
  stagesWritten: readonly StageChange[] = stages,
): D1PreparedStatement[] {
  const moves = stages.map((s) => [s.at, s.from, s.to]);
  const out: D1PreparedStatement[] = [];
  if (deletes.scores) {
    out.push(
      db
        .prepare(`DELETE FROM score_history WHERE customer_id = ? AND at BETWEEN ? AND ? AND at NOT IN (SELECT value FROM json_each(?))`)
        .bind(customerId, fromAt, toAt, JSON.stringify(points.map((p) => p.at))),
    );
  }
  if (deletes.stages) {
    out.push(
      db
        .prepare(
          `DELETE FROM stage_transitions WHERE customer_id = ? AND at BETWEEN ? AND ?
             AND (at, to_stage) NOT IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[2]') FROM json_each(?))`,
        )
        .bind(customerId, fromAt, toAt, JSON.stringify(moves)),
    );
  }
  if (written.length > 0) out.push(...pointsUpsertStmts(db, [{ customerId, points: written }]));
  if (stagesWritten.length > 0) out.push(...stagesUpsertStmts(db, [{ customerId, stages: stagesWritten }]));
  return out;
}

/**
 * Timeline points of one or several customers, in as few statements as D1's string limit allows (one commit that
 * merges several customers' steps spends one for all of them, src/pipeline-commit.ts). A point stored as it is
 * writes nothing.
 */
export function pointsUpsertStmts(db: D1Database, sets: readonly { customerId: string; points: readonly TimelinePoint[] }[]): D1PreparedStatement[] {
  const rows = sets.flatMap(({ customerId, points }) => points.map((p) => [customerId, p.at, p.score, p.band, p.stage, JSON.stringify(p.components), p.modelVersion]));
  const sql = db.prepare(
    `INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version)
     SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]', value ->> '$[6]' FROM json_each(?)
     WHERE true ON CONFLICT (customer_id, at) DO UPDATE SET score = excluded.score, band = excluded.band, stage = excluded.stage,
       components = excluded.components, model_version = excluded.model_version
     WHERE score IS NOT excluded.score OR band IS NOT excluded.band OR stage IS NOT excluded.stage
       OR components IS NOT excluded.components OR model_version IS NOT excluded.model_version`,
  );
  return jsonArrays(rows).map((json) => sql.bind(json));
}

/** Stage changes of one or several customers, upserted in as few statements as D1's string limit allows. */
export function stagesUpsertStmts(db: D1Database, sets: readonly { customerId: string; stages: readonly StageChange[] }[]): D1PreparedStatement[] {
  const rows = sets.flatMap(({ customerId, stages }) => stages.map((s) => [customerId, s.at, s.from, s.to]));
  const sql = db.prepare(
    `INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage)
     SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]' FROM json_each(?)
     WHERE true ON CONFLICT (customer_id, at, to_stage) DO UPDATE SET from_stage = excluded.from_stage WHERE from_stage IS NOT excluded.from_stage`,
  );
  return jsonArrays(rows).map((json) => sql.bind(json));
}

/** Score as of `at` for many customers at once: the latest timeline point at or before it. */
export async function scoresAsOf(db: D1Database, ids: string[], at: number): Promise<Map<string, StoredPoint>> {
  const out = new Map<string, StoredPoint>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(
        `SELECT h.customer_id AS id, h.at, h.score, h.band, h.stage FROM score_history h
         JOIN (SELECT customer_id, MAX(at) AS at FROM score_history WHERE at <= ? AND customer_id IN (SELECT value FROM json_each(?)) GROUP BY customer_id) m
           ON m.customer_id = h.customer_id AND m.at = h.at`,
      )
      .bind(at, JSON.stringify(chunk))
      .all<StoredPoint & { id: string }>();
    for (const r of results) out.set(r.id, { at: r.at, score: r.score, band: r.band, stage: r.stage });
  }
  return out;
}

/** Whole timelines (score points only) of a page of customers, for the backtest. */
export async function loadScoreSeries(db: D1Database, ids: string[]): Promise<Map<string, { at: number; score: number; modelVersion: string }[]>> {
  const out = new Map<string, { at: number; score: number; modelVersion: string }[]>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT customer_id AS id, at, score, model_version FROM score_history WHERE customer_id IN (SELECT value FROM json_each(?)) ORDER BY customer_id, at`)
      .bind(JSON.stringify(chunk))
      .all<{ id: string; at: number; score: number; model_version: string }>();
    for (const r of results) {
      const list = out.get(r.id) ?? [];
      list.push({ at: r.at, score: r.score, modelVersion: r.model_version });
      out.set(r.id, list);
    }
  }
  return out;
}
