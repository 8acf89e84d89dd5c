-- Erasure of one person, as a paged job on the events queue (src/jobs/erase.ts). `identifiers` holds what
-- the job matches on (emails, names, user ids, in plain text) only while it runs: it is set to NULL when the
-- job finishes, and what stays to recognise later arrivals is erased_identifiers (salted hashes).
CREATE TABLE erasures (
  id TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL,           -- e.g. hubspot:551; '[erased]' once done when the id itself names the person
  status TEXT NOT NULL CHECK (status IN ('running', 'done')),
  step INTEGER NOT NULL DEFAULT 0,    -- index into ERASE_STEPS
  cursor INTEGER NOT NULL DEFAULT 0,  -- last rowid the step has done
  identifiers TEXT,                   -- JSON while running, NULL once done
  counts TEXT NOT NULL DEFAULT '{}',  -- JSON: rows changed per table
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX erasures_contact ON erasures (contact_id, status);

-- One random salt per deployment, created by the first erasure.
CREATE TABLE erasure_salt (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  salt TEXT NOT NULL
);

-- Tombstones: SHA-256(salt, lower-cased identifier) of every email, user id and contact id an erasure
-- collected, so an event for the person that arrives later is scrubbed before it is applied.
CREATE TABLE erased_identifiers (
  hash TEXT PRIMARY KEY,
  erasure_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
