-- What people did with a Slack alert (Acknowledge / Snooze buttons).
CREATE TABLE alert_states (
  action_id TEXT PRIMARY KEY,          -- the slack.alert outbox id
  customer_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('acknowledged', 'snoozed')),
  by_user TEXT NOT NULL,
  at INTEGER NOT NULL,
  snoozed_until INTEGER
);
