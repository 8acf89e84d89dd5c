-- The event-time timeline (src/core/timeline.ts): score_history holds one row per customer per UTC day
-- close where the score, band or stage changed; this is the last day it has been computed through.
ALTER TABLE customers ADD COLUMN timeline_through TEXT;
