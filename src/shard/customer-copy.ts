import type { TimelineCopy } from "../core/timeline-copy";
import type { CustomerRow } from "../store/customers";
import type { ProgramPosition } from "../store/loyalty";
import type { StoredPoint } from "../store/timeline";

/**
 * The rows an account shard's commits left in D1 (the customer row and its linked ids), kept in the shard's own storage so that its next step for the
 * customer reads them here instead of from the database every account shares. D1 stays the record: the commit's
 * guard checks the version the step read (src/store/apply-guard.ts), so a copy that another writer has moved past
 * (a recompute, a merge, an erasure, a snooze) fails its commit once; the copy is then dropped and the retry reads D1.
 * Beside the row, the recent timeline the step left (src/core/timeline-copy.ts): its only other writer, the timeline
 * job, runs on the same shard and drops it first (`dropTimeline`). And the customer's loyalty position, which other
 * customers' steps and the program's jobs write: the guard checks its `loyalty_seq`, which every such write moves.
 */
export interface CustomerCopies {
  get(ids: readonly string[]): Map<string, CustomerCopy>;
  put(copies: readonly CustomerCopy[], now: number): void;
  drop(ids: readonly string[]): void;
  dropTimeline(id: string): void;
}

export interface CustomerCopy {
  row: CustomerRow;
  /** The ids linked to the customer (identities), by kind. */
  externalIds: Record<string, string[]>;
  timeline: TimelineCopy<StoredPoint> | null;
  /** The customer's place in the loyalty program (src/store/loyalty.ts, programPositions), with the `loyalty_seq` it was read at. */
  position: ProgramPosition | null;
}

/** Days of timeline a copy keeps: the trend's 30 days and a margin. */
export const COPY_TIMELINE_DAYS = 40;

/** Copies not written for this long are deleted: the storage holds the customers in use, not every one ever seen. */
export const COPY_RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Shards an erasure's last step clears per page (each a Durable Object request: a subrequest of the page). */
export const FORGET_PER_PAGE = 100;

/** The copies in a Durable Object's SQLite storage (each value ≤ the customer row's own 256 KB budget). */
export class SqlCustomerCopies implements CustomerCopies {
  private prunedAt = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS customer_copies (id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, health TEXT, stage TEXT,
         stage_since INTEGER, alerts TEXT NOT NULL, timeline_through TEXT, external_ids TEXT NOT NULL, timeline TEXT, used_at INTEGER NOT NULL)`,
    );
    sql.exec(`CREATE INDEX IF NOT EXISTS customer_copies_used ON customer_copies (used_at)`);
    const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('customer_copies')`).toArray();
    if (!columns.some((c) => c.name === "position")) sql.exec(`ALTER TABLE customer_copies ADD COLUMN position TEXT`);
  }

  get(ids: readonly string[]): Map<string, CustomerCopy> {
    const out = new Map<string, CustomerCopy>();
    if (ids.length === 0) return out;
    const rows = this.sql
      .exec<CustomerRow & { external_ids: string; timeline: string | null; position: string | null }>(
        `SELECT id, version, state, health, stage, stage_since, alerts, timeline_through, external_ids, timeline, position FROM customer_copies
         WHERE id IN (SELECT value FROM json_each(?))`,
        JSON.stringify(ids),
      )
      .toArray();
    for (const { timeline, external_ids, position, ...row } of rows) {
      out.set(row.id, {
        row,
        externalIds: JSON.parse(external_ids) as Record<string, string[]>,
        timeline: timeline === null ? null : (JSON.parse(timeline) as TimelineCopy<StoredPoint>),
        position: position === null ? null : (JSON.parse(position) as ProgramPosition),
      });
    }
    return out;
  }

  put(copies: readonly CustomerCopy[], now: number): void {
    for (const { row: r, externalIds, timeline, position } of copies) {
      this.sql.exec(
        `INSERT OR REPLACE INTO customer_copies (id, version, state, health, stage, stage_since, alerts, timeline_through, external_ids, timeline, position, used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.version,
        r.state,
        r.health,
        r.stage,
        r.stage_since,
        r.alerts,
        r.timeline_through,
        JSON.stringify(externalIds),
        timeline === null ? null : JSON.stringify(timeline),
        position === null ? null : JSON.stringify(position),
        now,
      );
    }
    if (now - this.prunedAt > PRUNE_EVERY_MS) this.prune(now);
  }

  /** Deletes every copy (an erasure: a copy may hold what the erasure scrubbed from D1). */
  clear(): void {
    this.sql.exec(`DELETE FROM customer_copies`);
  }

  /** Deletes copies unused for the retention; returns when the oldest remaining one falls due, or null if none remain. */
  prune(now: number): number | null {
    this.prunedAt = now;
    this.sql.exec(`DELETE FROM customer_copies WHERE used_at < ?`, now - COPY_RETENTION_MS);
    const oldest = this.sql.exec<{ at: number | null }>(`SELECT MIN(used_at) AS at FROM customer_copies`).one().at;
    return oldest === null ? null : oldest + COPY_RETENTION_MS;
  }

  dropTimeline(id: string): void {
    this.sql.exec(`UPDATE customer_copies SET timeline = NULL WHERE id = ?`, id);
  }

  drop(ids: readonly string[]): void {
    if (ids.length > 0) this.sql.exec(`DELETE FROM customer_copies WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
  }
}
