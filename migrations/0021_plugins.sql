-- Plugin declarations stored through the admin API (src/store/plugin-versions.ts, docs/plugins.md): immutable
-- versions per name, and at most one active version per name. Bundled plugins/*.json files are not stored here.
CREATE TABLE plugin_versions (
  -- `${name}@${version}`: a cache key that always names the same definition.
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('source')),
  definition TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (name, version)
);

CREATE TRIGGER plugin_versions_immutable BEFORE UPDATE ON plugin_versions
BEGIN
  SELECT RAISE(ABORT, 'plugin versions are immutable: store a new version instead');
END;

CREATE TRIGGER plugin_versions_kept BEFORE DELETE ON plugin_versions
BEGIN
  SELECT RAISE(ABORT, 'plugin versions are kept: activate another version instead');
END;

-- The version each stored plugin serves; no row: the plugin is not served.
CREATE TABLE plugin_active (
  name TEXT PRIMARY KEY,
  version_id TEXT NOT NULL REFERENCES plugin_versions(id),
  activated_at INTEGER NOT NULL,
  activated_by TEXT NOT NULL
);

-- Every activation and deactivation, in order.
CREATE TABLE plugin_activations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  version_id TEXT,
  previous_id TEXT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX plugin_activations_name ON plugin_activations (name, seq);
