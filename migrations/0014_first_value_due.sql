-- When a paying customer's first value is due (purchase + the first-value hours), while it has not been
-- reached: the hourly job (src/jobs/first-value.ts) re-scores only the customers whose deadline just passed.
ALTER TABLE customers ADD COLUMN first_value_due_at INTEGER;
CREATE INDEX customers_first_value_due ON customers (first_value_due_at) WHERE first_value_due_at IS NOT NULL;

-- Customers scored before this column existed: paying, first value not reached (default 24 hours).
UPDATE customers SET first_value_due_at = json_extract(state, '$.billing.firstPaidAt') + 86400000
WHERE json_extract(health, '$.snapshot.onboardingStatus') IN ('not_started', 'in_progress')
  AND json_extract(state, '$.billing.firstPaidAt') IS NOT NULL;

-- One row once any account has reported product usage: a usage source is connected and delivering, so
-- "no usage yet" means something for the 24-hour rule. Kept by triggers, so customer writes pay no extra
-- statement; once the row exists, the check is one primary-key lookup.
CREATE TABLE usage_observed (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  first_at INTEGER NOT NULL
);
CREATE TRIGGER usage_observed_on_insert AFTER INSERT ON customers
WHEN NOT EXISTS (SELECT 1 FROM usage_observed) AND json_extract(NEW.state, '$.usage.events') <> '{}'
BEGIN
  INSERT OR IGNORE INTO usage_observed (id, first_at) VALUES (1, NEW.updated_at);
END;
CREATE TRIGGER usage_observed_on_update AFTER UPDATE OF state ON customers
WHEN NOT EXISTS (SELECT 1 FROM usage_observed) AND json_extract(NEW.state, '$.usage.events') <> '{}'
BEGIN
  INSERT OR IGNORE INTO usage_observed (id, first_at) VALUES (1, NEW.updated_at);
END;
INSERT INTO usage_observed (id, first_at)
SELECT 1, MIN(updated_at) FROM customers WHERE json_extract(state, '$.usage.events') <> '{}' HAVING COUNT(*) > 0;
