-- Who did what to an alert, from the dashboard or from Slack's buttons: acknowledge, snooze, assign, note.
-- alert_states keeps the current acknowledge/snooze; this is the history the Alerts page shows.
CREATE TABLE alert_activity (
  id TEXT PRIMARY KEY,
  action_id TEXT NOT NULL,             -- the slack.alert outbox id
  kind TEXT NOT NULL CHECK (kind IN ('acknowledged', 'snoozed', 'assigned', 'note')),
  actor TEXT NOT NULL,                 -- "dashboard admin", or the Slack user id
  surface TEXT NOT NULL CHECK (surface IN ('dashboard', 'slack')),
  at INTEGER NOT NULL,
  snoozed_until INTEGER,
  assignee TEXT,
  note TEXT CHECK (note IS NULL OR length(note) <= 1000)
);
CREATE INDEX alert_activity_action ON alert_activity (action_id, at);
-- The current assignee, looked up by the owner filter.
CREATE INDEX alert_activity_assignee ON alert_activity (kind, assignee);
-- The Alerts page reads only alerts, by account and time; the outbox holds far more than alerts.
CREATE INDEX outbox_slack_alerts ON outbox (customer_id, created_at) WHERE type = 'slack.alert';
