-- Health model versions (src/store/model-versions.ts): immutable rows, one of them active.
-- 'default' stands for the deployment default (TENURE_CONFIG's health model): its model is NULL because the
-- deployment, not this table, holds it. Every other row holds a full model (as TENURE_CONFIG.health parses it).
CREATE TABLE model_versions (
  id TEXT PRIMARY KEY,
  parent TEXT REFERENCES model_versions(id),
  model TEXT CHECK ((id = 'default') = (model IS NULL)),
  note TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The evaluation a calibration proposed it with (JSON), if any.
  evaluation TEXT
);

CREATE TRIGGER model_versions_immutable BEFORE UPDATE ON model_versions
BEGIN
  SELECT RAISE(ABORT, 'model versions are immutable: create a new version instead');
END;

CREATE TRIGGER model_versions_kept BEFORE DELETE ON model_versions
BEGIN
  SELECT RAISE(ABORT, 'model versions are kept: activate another version instead');
END;

INSERT INTO model_versions (id, parent, model, note, author, created_at)
VALUES ('default', NULL, NULL, 'The deployment default (TENURE_CONFIG)', 'deployment', 0);

-- Exactly one active version: a single row, which always exists.
CREATE TABLE model_active (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  version_id TEXT NOT NULL REFERENCES model_versions(id),
  activated_at INTEGER NOT NULL,
  activated_by TEXT NOT NULL
);
INSERT INTO model_active (singleton, version_id, activated_at, activated_by) VALUES (1, 'default', 0, 'deployment');

CREATE TRIGGER model_active_kept BEFORE DELETE ON model_active
BEGIN
  SELECT RAISE(ABORT, 'one model version is always active');
END;

-- Every activation, in order: the record that the model changed (scores before it were made by the previous one).
CREATE TABLE model_activations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id TEXT NOT NULL REFERENCES model_versions(id),
  previous_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX model_activations_at ON model_activations (at);

-- Previews too large for one request run as a chain of pages (src/jobs/model-preview.ts); the running total
-- (counts per band and per score, the biggest movers) is kept here and polled.
CREATE TABLE model_previews (
  id TEXT PRIMARY KEY,
  version_id TEXT NOT NULL REFERENCES model_versions(id),
  active_id TEXT NOT NULL REFERENCES model_versions(id),
  status TEXT NOT NULL CHECK (status IN ('running', 'done')),
  -- The last customer id folded in.
  cursor TEXT NOT NULL DEFAULT '',
  options TEXT NOT NULL,
  tally TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX model_previews_version ON model_previews (version_id, started_at);
