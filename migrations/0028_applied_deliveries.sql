-- Deliveries carried on the events queue (QUEUE_CARRIED_SOURCES: the usage stream) and applied: the id that makes
-- a redelivery inside the source's dedupe window apply nothing, and what an operator needs to find where it went.
-- Their facts are in the customer's state and timeline once applied, so neither the normalized events nor the raw
-- body is kept (about 100 bytes a row with its index, where a full inbox row is over 1 KB). A carried delivery
-- that is not applied (unmatched, failed) is an ordinary inbox row, which an operator can re-drive. The retention
-- deletes these rows after the source's window (src/store/retention.ts).
CREATE TABLE applied_deliveries (
  id TEXT PRIMARY KEY,          -- `${source}:${dedupe key}`, as an inbox row's id
  source TEXT NOT NULL,
  vendor_type TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  applied_at INTEGER NOT NULL,  -- NOT NULL is also the commit's guard (src/store/apply-guard.ts)
  customer_id TEXT              -- the customer it was applied to; not moved by a merge (the row is kept days)
) WITHOUT ROWID;
-- One index, by age: the retention walks it (nearly every row is one source's, the usage stream's) and so does the
-- admin API's newest-first list.
CREATE INDEX applied_deliveries_received ON applied_deliveries (received_at);
