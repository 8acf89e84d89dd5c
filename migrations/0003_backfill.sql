-- Backfill: importing a vendor's existing records through the same inbox as webhooks.
-- One run per source; a new run starts when the previous one finished (or on request).
CREATE TABLE backfill_runs (
  source TEXT PRIMARY KEY,            -- stripe | hubspot
  status TEXT NOT NULL CHECK (status IN ('running', 'failed', 'done')),
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  lease_until INTEGER,                -- a worker holds the run while it imports one page
  last_error TEXT                     -- why the last page failed (the run resumes from its cursor)
);

-- One cursor per object type of a run, advanced in the same batch as the page's inbox rows.
CREATE TABLE backfill_cursors (
  source TEXT NOT NULL,
  object TEXT NOT NULL,               -- customers | subscriptions | invoices | companies | contacts | deals
  position INTEGER NOT NULL,          -- import order within the source
  cursor TEXT,                        -- the vendor's cursor for the next page; NULL = the first page
  done INTEGER NOT NULL DEFAULT 0,
  pages INTEGER NOT NULL DEFAULT 0,   -- pages committed: also the version guard of a page commit
  read INTEGER NOT NULL DEFAULT 0,    -- records read from the vendor
  imported INTEGER NOT NULL DEFAULT 0,-- inbox rows that were new (the rest were already there)
  committed_by TEXT,                  -- request id of the step that committed the last page (the guard's witness)
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, object)
);
