-- Identity repair: merged customers leave a pointer, refused links are recorded, one account key space.

-- A merged customer's row is gone from `customers` (so no list, job or metric ever sees it again); this row
-- answers for its id. `moved` holds the rows moved per table, for the audit.
CREATE TABLE customer_merges (
  loser_id TEXT PRIMARY KEY,
  survivor_id TEXT NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('admin', 'auto')),
  reason TEXT,
  moved TEXT NOT NULL DEFAULT '{}',
  merged_at INTEGER NOT NULL
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id);

-- Explicit ids that contradict each other (a key already linked to a customer holding a different id of the
-- same kind): the event is refused (left unmatched) and the conflict is kept here until someone decides.
CREATE TABLE identity_conflicts (
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  customer_id TEXT NOT NULL,           -- the customer the other key of the event belongs to
  held TEXT NOT NULL,                  -- the id of that kind the customer already holds
  reason TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (event_id, kind, value)
);
CREATE INDEX identity_conflicts_at ON identity_conflicts (at);

-- Segment groupIds, Stripe metadata.account_id and the configured CRM property share one key space: `account`.
INSERT INTO identities (kind, value, customer_id, created_at)
SELECT 'account', value, customer_id, created_at FROM identities WHERE kind = 'segment_group'
ON CONFLICT (kind, value) DO NOTHING;

-- A key someone unlinked from a customer: never linked to that customer again automatically.
CREATE TABLE identity_unlinks (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (kind, value, customer_id)
);
