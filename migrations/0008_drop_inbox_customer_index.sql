-- Nothing reads the inbox by customer any more (the timeline replaced replays of stored events), and every
-- processed event rewrote this index: dropping it saves two D1 rows written per event.
DROP INDEX IF EXISTS inbox_customer;
