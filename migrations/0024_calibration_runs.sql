-- Paged calibrations (src/jobs/model-calibrate.ts): a calibration over more customers than one request can read
-- runs as a chain of pages on the events queue. Each page keeps the rows of a bounded, page-independent sample
-- (the CALIBRATION_SAMPLE rows with the smallest hash of customer and time); the last page fits on the sample.
CREATE TABLE calibration_runs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'refused')),
  -- The last customer id read; a page runs only from the stored cursor, so a retried page adds nothing twice.
  cursor TEXT NOT NULL DEFAULT '',
  -- JSON: { horizonDays, stepDays, until, note }, fixed when the run starts.
  options TEXT NOT NULL,
  -- JSON: the sample so far (its smallest keys, counts of rows, censored rows and customers read).
  sample TEXT NOT NULL,
  -- JSON: the candidate version id with its evaluation, or the refusal with how many churn events are needed.
  result TEXT,
  active_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The run's sample so far: each page adds its rows below the threshold and drops those above it, so a run never
-- holds much more than the sample's size. `row` is the snapshot as JSON (src/core/calibrate-sample.ts).
CREATE TABLE calibration_samples (
  run_id TEXT NOT NULL REFERENCES calibration_runs(id),
  customer_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  key INTEGER NOT NULL,
  row TEXT NOT NULL,
  PRIMARY KEY (run_id, customer_id, at)
);
CREATE INDEX calibration_samples_key ON calibration_samples (run_id, key);

-- Model versions stay immutable, except that a contact erasure (src/jobs/erase-steps.ts) may replace an author's
-- email with '[erased]': who made a version is personal data; what the version is, is not.
DROP TRIGGER model_versions_immutable;
CREATE TRIGGER model_versions_immutable BEFORE UPDATE ON model_versions
WHEN NOT (
  NEW.author = '[erased]'
  AND NEW.id IS OLD.id AND NEW.parent IS OLD.parent AND NEW.model IS OLD.model AND NEW.note IS OLD.note
  AND NEW.created_at IS OLD.created_at AND NEW.evaluation IS OLD.evaluation
)
BEGIN
  SELECT RAISE(ABORT, 'model versions are immutable: create a new version instead');
END;
