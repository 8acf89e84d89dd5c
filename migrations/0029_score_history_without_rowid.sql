-- The timeline is the largest table at scale (one row per customer per day it changed, for years) and is only ever
-- read by its key, (customer_id, at), or by day across customers. As a rowid table every row was stored twice: once
-- in the table, and once in the primary key's own index. Keyed on its primary key alone it is stored once, and an
-- insert writes one b-tree entry instead of two (D1 counts both as rows written).
CREATE TABLE score_history_keyed (
  customer_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  score INTEGER NOT NULL,
  band TEXT NOT NULL,
  stage TEXT NOT NULL,
  components TEXT NOT NULL,
  model_version TEXT NOT NULL,
  PRIMARY KEY (customer_id, at)
) WITHOUT ROWID;
INSERT INTO score_history_keyed (customer_id, at, score, band, stage, components, model_version)
  SELECT customer_id, at, score, band, stage, components, model_version FROM score_history;
DROP TABLE score_history;
ALTER TABLE score_history_keyed RENAME TO score_history;
