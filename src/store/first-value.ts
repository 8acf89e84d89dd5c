/** The column and the flag behind the hourly first-value check (migration 0014, src/jobs/first-value.ts). */
import { FIRST_VALUE_LOOKBACK_MS, pendingFirstValueDueAt } from "../core/alert-first-value";
import type { LifecycleConfig } from "../core/lifecycle";
import type { CustomerState } from "../core/state";

export function firstValueDueStmt(db: D1Database, customerId: string, dueAt: number | null): D1PreparedStatement {
  return db.prepare(`UPDATE customers SET first_value_due_at = ? WHERE id = ?`).bind(dueAt, customerId);
}

/** Whether any account has ever reported product usage. */
export async function usageObserved(db: D1Database): Promise<boolean> {
  return (await db.prepare(`SELECT 1 AS seen FROM usage_observed WHERE id = 1`).first<{ seen: number }>()) !== null;
}

/** Customers whose first-value deadline passed in (from, to], after id `after`, in id order. */
export async function firstValueDuePage(db: D1Database, from: number, to: number, after: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT id FROM customers WHERE first_value_due_at > ? AND first_value_due_at <= ? AND id > ? ORDER BY id LIMIT ?`)
    .bind(from, to, after, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * Keeps the due column current, written with the customer's step only when it changes and the deadline is
 * still ahead or within the hourly lookback (at purchase, at first value): a backfill of old payments, or a
 * deadline long past, costs no statement. Older values are harmless: the job reads only the lookback.
 */
export function firstValueStmts(db: D1Database, lifecycle: LifecycleConfig, customerId: string, before: CustomerState | null, after: CustomerState, now: number): D1PreparedStatement[] {
  const due = pendingFirstValueDueAt(after, now, lifecycle);
  const was = before === null ? null : pendingFirstValueDueAt(before, now, lifecycle);
  const current = (at: number | null) => at !== null && at > now - FIRST_VALUE_LOOKBACK_MS;
  if (due === was || (!current(due) && !current(was))) return [];
  return [firstValueDueStmt(db, customerId, due)];
}
