-- Days of a customer's event-time timeline that a step left to a timeline job (src/store/timeline-due.ts): written
-- in the commit that defers them, deleted by the job's last page. The sweeper re-sends a job for a record that has
-- waited too long (the consumer died between the commit and the send, or the send failed). One row per customer:
-- a second deferral widens the range.
CREATE TABLE timeline_due (
  customer_id TEXT PRIMARY KEY,
  from_day TEXT NOT NULL,
  to_day TEXT NOT NULL,
  due_at INTEGER NOT NULL
);
CREATE INDEX timeline_due_at ON timeline_due (due_at);
