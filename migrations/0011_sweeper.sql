-- The sweeper's safety-net figures: inbox rows it had to hand to the queue because no request did
-- (committed, never attempted, older than its threshold). One row; shown in /health.
CREATE TABLE sweeper_stats (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rescued INTEGER NOT NULL DEFAULT 0,
  last_rescue_at INTEGER              -- ms; NULL until the first rescue
);
INSERT INTO sweeper_stats (id, rescued, last_rescue_at) VALUES (1, 0, NULL);
