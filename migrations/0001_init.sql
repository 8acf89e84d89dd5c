-- Inbox: every accepted webhook delivery, committed before the 2xx.
CREATE TABLE inbox_events (
  id TEXT PRIMARY KEY,                -- `${source}:${dedupe key}`: the unique constraint that deduplicates
  source TEXT NOT NULL,
  vendor_type TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('received', 'processed', 'ignored', 'unmatched', 'failed')),
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  processed_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  customer_id TEXT,
  request_id TEXT,
  reason TEXT,                        -- why ignored / failed / unmatched
  normalized TEXT NOT NULL,           -- JSON array of NormalizedEvent: kept after the raw payload is pruned
  payload TEXT                        -- raw body, pruned after RAW_PAYLOAD_RETENTION_DAYS
);
CREATE INDEX inbox_status_received ON inbox_events (status, received_at);
CREATE INDEX inbox_customer ON inbox_events (customer_id, occurred_at);

-- Customers are accounts (companies). State is the reducer's JSON; the columns are for filtering.
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  name TEXT,
  domain TEXT,
  state TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  score INTEGER,
  band TEXT,
  stage TEXT,
  stage_since INTEGER,
  health TEXT,                        -- JSON: the latest HealthScore (+ trend)
  mrr INTEGER NOT NULL DEFAULT 0,
  currency TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  scored_at INTEGER,
  alerts TEXT NOT NULL DEFAULT '{}'   -- JSON: last alert per rule (cooldowns, recovery threads)
);
CREATE INDEX customers_band ON customers (band);
CREATE INDEX customers_stage ON customers (stage);
CREATE INDEX customers_domain ON customers (domain);

-- Identity: every external id or domain that points at a customer.
CREATE TABLE identities (
  kind TEXT NOT NULL,                 -- stripe | hubspot | segment_group | account | domain
  value TEXT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers (id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (kind, value)
);
CREATE INDEX identities_customer ON identities (customer_id);

-- Keys of events that matched no customer yet: a new identity with the same key re-drives them.
CREATE TABLE unmatched_keys (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES inbox_events (id),
  PRIMARY KEY (kind, value, event_id)
);
CREATE INDEX unmatched_keys_event ON unmatched_keys (event_id);

-- Personal data lives here only, so an erasure is one place.
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,                -- `${kind}:${external id}` e.g. hubspot:123, segment:user_1
  customer_id TEXT,
  email TEXT,
  name TEXT,
  role TEXT,
  erased_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);
CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE score_history (
  customer_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  score INTEGER NOT NULL,
  band TEXT NOT NULL,
  stage TEXT NOT NULL,
  components TEXT NOT NULL,
  model_version TEXT NOT NULL,
  PRIMARY KEY (customer_id, at)
);

CREATE TABLE stage_transitions (
  customer_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  from_stage TEXT,
  to_stage TEXT NOT NULL,
  PRIMARY KEY (customer_id, at, to_stage)
);

-- Outbox: one row per action, id = its idempotency key.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  customer_id TEXT,
  destination TEXT NOT NULL,          -- hubspot | slack | stripe
  type TEXT NOT NULL,                 -- e.g. hubspot.properties, slack.alert, stripe.credit
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'skipped', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  result TEXT,                        -- vendor response we keep (e.g. Slack ts, Stripe txn id)
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER,
  lease_until INTEGER                 -- a worker holds the row while it calls the vendor
);
CREATE INDEX outbox_due ON outbox (status, destination, next_attempt_at);
CREATE INDEX outbox_customer ON outbox (customer_id, created_at);

-- Last values HubSpot acknowledged, so unchanged values are never written again.
CREATE TABLE hubspot_synced (
  company_id TEXT NOT NULL,
  property TEXT NOT NULL,
  value TEXT,
  synced_at INTEGER NOT NULL,
  PRIMARY KEY (company_id, property)
);

-- A row that can never be inserted: used to abort a D1 batch when a version guard fails.
CREATE TABLE batch_guard (x INTEGER NOT NULL);
