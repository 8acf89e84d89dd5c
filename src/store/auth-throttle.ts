import { forgetAt, type ThrottleState } from "../core/auth-throttle";

/** Failed admin-token checks per client (migration 0009): one row per client key. */

/** How many forgotten rows one prune deletes: every failure deletes at most this many, so rows cannot pile up. */
export const THROTTLE_PRUNE_PAGE = 20;

export async function loadThrottle(db: D1Database, clientKey: string): Promise<ThrottleState | null> {
  const r = await db
    .prepare(`SELECT failures, last_failure_at, locked_until FROM auth_throttle WHERE client_key = ?`)
    .bind(clientKey)
    .first<{ failures: number; last_failure_at: number; locked_until: number }>();
  return r ? { failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until } : null;
}

/** Saves a client's state and deletes one page of rows nobody needs any more, in one batch. */
export async function saveThrottle(db: D1Database, clientKey: string, s: ThrottleState, now: number): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO auth_throttle (client_key, failures, last_failure_at, locked_until, forget_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (client_key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at,
           locked_until = excluded.locked_until, forget_at = excluded.forget_at`,
      )
      .bind(clientKey, s.failures, s.lastFailureAt, s.lockedUntil, forgetAt(s)),
    db
      .prepare(`DELETE FROM auth_throttle WHERE client_key IN (SELECT client_key FROM auth_throttle WHERE forget_at <= ? LIMIT ?)`)
      .bind(now, THROTTLE_PRUNE_PAGE),
  ]);
}

export async function clearThrottle(db: D1Database, clientKey: string): Promise<void> {
  await db.prepare(`DELETE FROM auth_throttle WHERE client_key = ?`).bind(clientKey).run();
}
