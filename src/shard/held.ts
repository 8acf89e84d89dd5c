import type { CustomerGroups, PipelineDeps, Resolved } from "../pipeline";

/**
 * Usage deliveries a shard holds before it applies them (src/shard/hold.ts). A held row is the delivery's only copy
 * once the shard has answered (its queue message is acked), so it lives in the object's storage, which is durable
 * before the answer leaves, as the queue was before it.
 */
export interface HeldRows {
  /** Keeps the rows not held yet, each due at `dueAt`, and the batch's settings for the flush that applies them. */
  hold(groups: CustomerGroups, dueAt: number, deps: HeldSettings): void;
  /** The held rows of these customers. */
  forCustomers(ids: readonly string[]): CustomerGroups;
  /**
   * The customers with a row due by `now`, each with every row it holds, oldest first, at most `maxCustomers` and
   * `maxRows` rows (a customer holding more than `maxRows` alone gives its oldest ones), and the latest settings.
   */
  due(now: number, maxCustomers: number, maxRows: number): { deps: HeldSettings | null; groups: CustomerGroups };
  release(rowIds: readonly string[]): void;
  /** Rows that could not be applied or sent back now fall due again at `dueAt`. */
  postpone(rowIds: readonly string[], dueAt: number): void;
  /** When the earliest held row falls due, or null if none is held. */
  nextDue(): number | null;
  count(): number;
}

/** The settings of the batch that handed the rows over, all but the database and the clock. */
export type HeldSettings = Omit<PipelineDeps, "db" | "now">;

export class SqlHeldRows implements HeldRows {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS held_rows (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, due_at INTEGER NOT NULL, resolved TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS held_rows_due ON held_rows (due_at)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS held_rows_customer ON held_rows (customer_id)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS held_settings (k INTEGER PRIMARY KEY CHECK (k = 0), deps TEXT NOT NULL)`);
  }

  hold(groups: CustomerGroups, dueAt: number, deps: HeldSettings): void {
    this.sql.exec(`INSERT OR REPLACE INTO held_settings (k, deps) VALUES (0, ?)`, JSON.stringify(deps));
    for (const [customerId, group] of groups) {
      for (const r of group) this.sql.exec(`INSERT OR IGNORE INTO held_rows (id, customer_id, due_at, resolved) VALUES (?, ?, ?, ?)`, r.row.id, customerId, dueAt, JSON.stringify(r));
    }
  }

  forCustomers(ids: readonly string[]): CustomerGroups {
    if (ids.length === 0) return [];
    return grouped(
      this.sql.exec<{ customer_id: string; resolved: string }>(`SELECT customer_id, resolved FROM held_rows WHERE customer_id IN (SELECT value FROM json_each(?)) ORDER BY due_at, id`, JSON.stringify(ids)).toArray(),
    );
  }

  due(now: number, maxCustomers: number, maxRows: number): { deps: HeldSettings | null; groups: CustomerGroups } {
    const picked: string[] = [];
    let rows = 0;
    for (const c of this.sql.exec<{ customer_id: string; n: number }>(
      `SELECT customer_id, COUNT(*) AS n, MIN(due_at) AS first FROM held_rows GROUP BY customer_id HAVING MIN(due_at) <= ? ORDER BY first, customer_id LIMIT ?`,
      now,
      maxCustomers,
    )) {
      if (picked.length > 0 && rows + c.n > maxRows) break;
      picked.push(c.customer_id);
      rows += c.n;
    }
    const settings = this.sql.exec<{ deps: string }>(`SELECT deps FROM held_settings WHERE k = 0`).toArray()[0];
    const deps = settings ? (JSON.parse(settings.deps) as HeldSettings) : null;
    if (picked.length === 1 && rows > maxRows) {
      const oldest = this.sql
        .exec<{ customer_id: string; resolved: string }>(`SELECT customer_id, resolved FROM held_rows WHERE customer_id = ? ORDER BY due_at, id LIMIT ?`, picked[0]!, maxRows)
        .toArray();
      return { deps, groups: grouped(oldest) };
    }
    return { deps, groups: this.forCustomers(picked) };
  }

  release(rowIds: readonly string[]): void {
    if (rowIds.length > 0) this.sql.exec(`DELETE FROM held_rows WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(rowIds));
  }

  postpone(rowIds: readonly string[], dueAt: number): void {
    if (rowIds.length > 0) this.sql.exec(`UPDATE held_rows SET due_at = ? WHERE id IN (SELECT value FROM json_each(?))`, dueAt, JSON.stringify(rowIds));
  }

  nextDue(): number | null {
    return this.sql.exec<{ at: number | null }>(`SELECT MIN(due_at) AS at FROM held_rows`).one().at;
  }

  count(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM held_rows`).one().n;
  }
}

function grouped(rows: readonly { customer_id: string; resolved: string }[]): CustomerGroups {
  const groups = new Map<string, Resolved[]>();
  for (const r of rows) groups.set(r.customer_id, [...(groups.get(r.customer_id) ?? []), JSON.parse(r.resolved) as Resolved]);
  return [...groups];
}
