-- 1 once a lease on the row expired without an outcome (the worker died after the vendor call, maybe):
-- connectors without idempotency keys (Slack) look for their earlier post before sending again.
ALTER TABLE outbox ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
