/** Stored plugin declarations in D1 (migrations/0021_plugins.sql): immutable versions, at most one active per name. */

export interface PluginVersionRow {
  id: string;
  name: string;
  version: number;
  kind: "source";
  definition: string;
  author: string;
  createdAt: number;
}

export interface StoredPluginSummary {
  name: string;
  kind: "source";
  activeVersion: number | null;
  versions: { version: number; createdAt: number; author: string }[];
}

interface Row {
  id: string;
  name: string;
  version: number;
  kind: "source";
  definition: string;
  author: string;
  created_at: number;
}

const toVersion = (r: Row): PluginVersionRow => ({ id: r.id, name: r.name, version: r.version, kind: r.kind, definition: r.definition, author: r.author, createdAt: r.created_at });

export const pluginVersionId = (name: string, version: number) => `${name}@${version}`;

export async function loadPluginVersion(db: D1Database, name: string, version: number): Promise<PluginVersionRow | null> {
  const row = await db.prepare(`SELECT * FROM plugin_versions WHERE id = ?`).bind(pluginVersionId(name, version)).first<Row>();
  return row ? toVersion(row) : null;
}

export async function loadPluginVersionById(db: D1Database, id: string): Promise<PluginVersionRow | null> {
  const row = await db.prepare(`SELECT * FROM plugin_versions WHERE id = ?`).bind(id).first<Row>();
  return row ? toVersion(row) : null;
}

/** The id of the version a stored plugin serves, or null when it serves none. */
export async function activePluginVersionId(db: D1Database, name: string): Promise<string | null> {
  const row = await db.prepare(`SELECT version_id FROM plugin_active WHERE name = ?`).bind(name).first<{ version_id: string }>();
  return row?.version_id ?? null;
}

function activationStmts(db: D1Database, name: string, versionId: string | null, actor: string, now: number): D1PreparedStatement[] {
  const previous = `(SELECT version_id FROM plugin_active WHERE name = ?1)`;
  const log = db
    .prepare(`INSERT INTO plugin_activations (name, version_id, previous_id, at, actor) VALUES (?1, ?2, ${previous}, ?3, ?4)`)
    .bind(name, versionId, now, actor);
  const set =
    versionId === null
      ? db.prepare(`DELETE FROM plugin_active WHERE name = ?`).bind(name)
      : db
          .prepare(
            `INSERT INTO plugin_active (name, version_id, activated_at, activated_by) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET version_id = excluded.version_id, activated_at = excluded.activated_at, activated_by = excluded.activated_by`,
          )
          .bind(name, versionId, now, actor);
  return [log, set];
}

/** Stores a new version (and makes it the active one when asked), in one batch. */
export async function insertPluginVersion(db: D1Database, v: Omit<PluginVersionRow, "id">, activate: boolean): Promise<PluginVersionRow> {
  const id = pluginVersionId(v.name, v.version);
  const insert = db
    .prepare(`INSERT INTO plugin_versions (id, name, version, kind, definition, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .bind(id, v.name, v.version, v.kind, v.definition, v.author, v.createdAt);
  await db.batch([insert, ...(activate ? activationStmts(db, v.name, id, v.author, v.createdAt) : [])]);
  return { id, ...v };
}

/** Points a stored plugin at one of its versions (a rollback is activating an older one), or at none. */
export async function setActivePluginVersion(db: D1Database, name: string, versionId: string | null, actor: string, now: number): Promise<void> {
  await db.batch(activationStmts(db, name, versionId, actor, now));
}

/** Every stored plugin with its versions, newest first, bounded. */
export async function listStoredPlugins(db: D1Database, limit = 200): Promise<StoredPluginSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT v.name, v.kind, v.version, v.author, v.created_at, a.version_id AS active_id, v.id
       FROM plugin_versions v LEFT JOIN plugin_active a ON a.name = v.name
       ORDER BY v.name, v.version DESC LIMIT ?`,
    )
    .bind(limit)
    .all<{ name: string; kind: "source"; version: number; author: string; created_at: number; active_id: string | null; id: string }>();
  const byName = new Map<string, StoredPluginSummary>();
  for (const r of results) {
    let s = byName.get(r.name);
    if (!s) byName.set(r.name, (s = { name: r.name, kind: r.kind, activeVersion: null, versions: [] }));
    if (r.active_id === r.id) s.activeVersion = r.version;
    s.versions.push({ version: r.version, createdAt: r.created_at, author: r.author });
  }
  return [...byName.values()];
}

/** The active versions' rows: what GET /api/plugins checks for definitions that no longer parse. */
export async function activePluginVersions(db: D1Database, limit = 200): Promise<PluginVersionRow[]> {
  const { results } = await db
    .prepare(`SELECT v.* FROM plugin_active a JOIN plugin_versions v ON v.id = a.version_id ORDER BY v.name LIMIT ?`)
    .bind(limit)
    .all<Row>();
  return results.map(toVersion);
}

/** A stored plugin's versions, newest first (a name has few: one per change). */
export async function listPluginVersions(db: D1Database, name: string, limit = 100): Promise<PluginVersionRow[]> {
  const { results } = await db.prepare(`SELECT * FROM plugin_versions WHERE name = ? ORDER BY version DESC LIMIT ?`).bind(name, limit).all<Row>();
  return results.map(toVersion);
}

export interface PluginActivation {
  versionId: string | null;
  previousId: string | null;
  at: number;
  actor: string;
}

/** A stored plugin's activations and deactivations, newest first. */
export async function listPluginActivations(db: D1Database, name: string, limit: number): Promise<PluginActivation[]> {
  const { results } = await db
    .prepare(`SELECT version_id, previous_id, at, actor FROM plugin_activations WHERE name = ? ORDER BY seq DESC LIMIT ?`)
    .bind(name, limit)
    .all<{ version_id: string | null; previous_id: string | null; at: number; actor: string }>();
  return results.map((r) => ({ versionId: r.version_id, previousId: r.previous_id, at: r.at, actor: r.actor }));
}
