import type { TenureConfig } from "../core/config";
import type { HealthModel } from "../core/health";
import { DEFAULT_VERSION_ID, buildVersionModel, type ModelVersion } from "../core/model-version";

/** Health model versions in D1 (migrations/0016_model_versions.sql): immutable rows, one active. */

interface VersionRow {
  id: string;
  parent: string | null;
  model: string | null;
  note: string;
  author: string;
  created_at: number;
  evaluation: string | null;
}

export interface VersionSummary {
  id: string;
  active: boolean;
  createdAt: number;
  parent: string | null;
  note: string;
  author: string;
}

export interface Activation {
  versionId: string;
  previousId: string;
  at: number;
  actor: string;
}

/** Parsed models by version id: a row never changes, so an id always names the same model. */
const parsed = new Map<string, HealthModel>();

function toVersion(row: VersionRow, deploymentDefault: HealthModel): ModelVersion {
  return {
    id: row.id,
    parent: row.parent,
    model: modelOf(row.id, row.model, deploymentDefault),
    note: row.note,
    author: row.author,
    createdAt: row.created_at,
    evaluation: row.evaluation === null ? null : JSON.parse(row.evaluation),
  };
}

function modelOf(id: string, json: string | null, deploymentDefault: HealthModel): HealthModel {
  if (id === DEFAULT_VERSION_ID || json === null) return deploymentDefault;
  const hit = parsed.get(id);
  if (hit) return hit;
  const model = buildVersionModel(id, JSON.parse(json));
  if (parsed.size >= 32) parsed.clear();
  parsed.set(id, model);
  return model;
}

/** The deployment default first, then the others oldest first. */
export async function listVersions(db: D1Database, limit: number): Promise<VersionSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT v.id, v.parent, v.note, v.author, v.created_at, (a.version_id IS NOT NULL) AS active FROM model_versions v
       LEFT JOIN model_active a ON a.version_id = v.id
       ORDER BY (v.id = ?) DESC, v.created_at, v.id LIMIT ?`,
    )
    .bind(DEFAULT_VERSION_ID, limit)
    .all<{ id: string; parent: string | null; note: string; author: string; created_at: number; active: number }>();
  return results.map((r) => ({ id: r.id, active: r.active === 1, createdAt: r.created_at, parent: r.parent, note: r.note, author: r.author }));
}

export async function loadVersion(db: D1Database, id: string, deploymentDefault: HealthModel): Promise<ModelVersion | null> {
  const row = await db.prepare(`SELECT id, parent, model, note, author, created_at, evaluation FROM model_versions WHERE id = ?`).bind(id).first<VersionRow>();
  return row ? toVersion(row, deploymentDefault) : null;
}

/**
 * Stores the model as it was given (validated by the caller), not as parsed: parsing is not idempotent for
 * overrides (a re-parse would fill an override's missing weights with defaults), so each load parses the input once.
 */
export function insertVersionStmt(db: D1Database, v: Omit<ModelVersion, "model"> & { input: unknown }): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO model_versions (id, parent, model, note, author, created_at, evaluation) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .bind(v.id, v.parent, JSON.stringify(v.input), v.note, v.author, v.createdAt, v.evaluation === null || v.evaluation === undefined ? null : JSON.stringify(v.evaluation));
}

export async function activeVersionId(db: D1Database): Promise<string> {
  const row = await db.prepare(`SELECT version_id FROM model_active WHERE singleton = 1`).first<{ version_id: string }>();
  return row?.version_id ?? DEFAULT_VERSION_ID;
}

/**
 * The active version and its model: one small read per call (no time-based cache, so an activation takes
 * effect on the next read in every isolate); the parse is cached by id, which never changes meaning.
 */
export async function activeModel(db: D1Database, deploymentDefault: HealthModel): Promise<{ id: string; model: HealthModel }> {
  const id = await activeVersionId(db);
  if (id === DEFAULT_VERSION_ID) return { id, model: deploymentDefault };
  const hit = parsed.get(id);
  if (hit) return { id, model: hit };
  const row = await db.prepare(`SELECT model FROM model_versions WHERE id = ?`).bind(id).first<{ model: string | null }>();
  return { id, model: modelOf(id, row?.model ?? null, deploymentDefault) };
}

/** The deployment's configuration with the active health model in place of TENURE_CONFIG's. */
export async function activeTenureConfig(db: D1Database, base: TenureConfig): Promise<TenureConfig> {
  const { model } = await activeModel(db, base.health);
  return model === base.health ? base : { ...base, health: model };
}

/**
 * Makes `id` the active version if `previousId` still is (a concurrent activation loses with `false`), and
 * records the activation: the point from which scores are the new version's.
 */
export async function activateVersion(db: D1Database, a: Activation): Promise<boolean> {
  const [update] = await db.batch([
    db.prepare(`UPDATE model_active SET version_id = ?, activated_at = ?, activated_by = ? WHERE singleton = 1 AND version_id = ?`).bind(a.versionId, a.at, a.actor, a.previousId),
    db
      .prepare(`INSERT INTO model_activations (version_id, previous_id, at, actor) SELECT ?, ?, ?, ? WHERE changes() = 1`)
      .bind(a.versionId, a.previousId, a.at, a.actor),
  ]);
  return (update?.meta.changes ?? 0) === 1;
}

export async function listActivations(db: D1Database, limit: number): Promise<Activation[]> {
  const { results } = await db
    .prepare(`SELECT version_id, previous_id, at, actor FROM model_activations ORDER BY seq DESC LIMIT ?`)
    .bind(limit)
    .all<{ version_id: string; previous_id: string; at: number; actor: string }>();
  return results.map((r) => ({ versionId: r.version_id, previousId: r.previous_id, at: r.at, actor: r.actor }));
}
