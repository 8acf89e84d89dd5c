import type { PreviewTally } from "../core/model-version-tally";

/** Paged previews (migrations/0016_model_versions.sql): the running total of each, polled by the API. */

export interface PreviewOptions {
  horizonDays: number;
  stepDays: number;
  limit: number;
  /** The instant every page scores at, so the pages agree. */
  at: number;
}

export interface StoredPreview {
  id: string;
  versionId: string;
  activeId: string;
  status: "running" | "done";
  cursor: string;
  options: PreviewOptions;
  tally: PreviewTally;
  startedAt: number;
  updatedAt: number;
}

type Row = { id: string; version_id: string; active_id: string; status: "running" | "done"; cursor: string; options: string; tally: string; started_at: number; updated_at: number };

const toPreview = (r: Row): StoredPreview => ({
  id: r.id,
  versionId: r.version_id,
  activeId: r.active_id,
  status: r.status,
  cursor: r.cursor,
  options: JSON.parse(r.options),
  tally: JSON.parse(r.tally),
  startedAt: r.started_at,
  updatedAt: r.updated_at,
});

export async function insertPreview(db: D1Database, p: StoredPreview): Promise<void> {
  await db
    .prepare(`INSERT INTO model_previews (id, version_id, active_id, status, cursor, options, tally, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(p.id, p.versionId, p.activeId, p.status, p.cursor, JSON.stringify(p.options), JSON.stringify(p.tally), p.startedAt, p.updatedAt)
    .run();
}

export async function loadPreview(db: D1Database, id: string): Promise<StoredPreview | null> {
  const row = await db.prepare(`SELECT * FROM model_previews WHERE id = ?`).bind(id).first<Row>();
  return row ? toPreview(row) : null;
}

export async function latestPreview(db: D1Database, versionId: string): Promise<StoredPreview | null> {
  const row = await db.prepare(`SELECT * FROM model_previews WHERE version_id = ? ORDER BY started_at DESC, id DESC LIMIT 1`).bind(versionId).first<Row>();
  return row ? toPreview(row) : null;
}

/** Saves a page's total only if the page started from the stored cursor: a repeated page changes nothing. */
export async function savePreviewPage(db: D1Database, p: StoredPreview, fromCursor: string): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE model_previews SET status = ?, cursor = ?, tally = ?, updated_at = ? WHERE id = ? AND cursor = ? AND status = 'running'`)
    .bind(p.status, p.cursor, JSON.stringify(p.tally), p.updatedAt, p.id, fromCursor)
    .run();
  return r.meta.changes === 1;
}
