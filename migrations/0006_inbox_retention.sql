-- Inbox retention: processed and ignored rows are deleted once past their source's dedupe window
-- (src/store/retention.ts); the daily prune walks this index one source at a time.
CREATE INDEX inbox_source_status_received ON inbox_events (source, status, received_at);
