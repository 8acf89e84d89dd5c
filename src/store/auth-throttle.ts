import { authThrottlePolicy, forgetAt, recordFailure, type AuthThrottlePolicy, type ThrottleState } from "../core/auth-throttle";

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

/**
 * Counts one failure in a single statement, so failures that arrive together are each counted (a read, then a
 * write, would let a burst overwrite one another's count and guess without limit). The SQL is
 * src/core/auth-throttle.ts's `recordFailure` on the stored row. A locked client's attempt is not counted: the
 * update's WHERE leaves the row alone and nothing is returned (null). Also deletes one page of forgotten rows.
 */
export async function countFailure(db: D1Database, clientKey: string, now: number, p: AuthThrottlePolicy = authThrottlePolicy): Promise<ThrottleState | null> {
  const first = recordFailure(null, now, p);
  const nf = `(CASE WHEN auth_throttle.forget_at > ?2 THEN auth_throttle.failures + 1 ELSE 1 END)`;
  const lock = `(CASE WHEN ${nf} >= ?4 THEN ?2 + min(?6, ?5 << min(${nf} - ?4, 30)) ELSE 0 END)`;
  const [saved] = await db.batch([
    db
      .prepare(
        `INSERT INTO auth_throttle (client_key, failures, last_failure_at, locked_until, forget_at) VALUES (?1, ?7, ?2, ?8, ?9)
         ON CONFLICT (client_key) DO UPDATE SET failures = ${nf}, last_failure_at = ?2, locked_until = ${lock}, forget_at = max(?2, ${lock}) + ?3
         WHERE auth_throttle.locked_until <= ?2
         RETURNING failures, last_failure_at, locked_until`,
      )
      .bind(clientKey, now, p.windowMs, p.threshold, p.baseLockMs, p.maxLockMs, first.failures, first.lockedUntil, forgetAt(first, p)),
    db
      .prepare(`DELETE FROM auth_throttle WHERE client_key IN (SELECT client_key FROM auth_throttle WHERE forget_at <= ? LIMIT ?)`)
      .bind(now, THROTTLE_PRUNE_PAGE),
  ]);
  const r = (saved!.results as { failures: number; last_failure_at: number; locked_until: number }[])[0];
  return r ? { failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until } : null;
}

/**
 * A right token: clears the client's count unless it is locked, in one transaction with reading whether it is,
 * so a right token is accepted only when fewer than the threshold of failures were counted before it.
 * Returns when the lock ends (0 when the client may proceed).
 */
export async function admitRightToken(db: D1Database, clientKey: string, now: number): Promise<number> {
  const [, left] = await db.batch([
    db.prepare(`DELETE FROM auth_throttle WHERE client_key = ? AND locked_until <= ?`).bind(clientKey, now),
    db.prepare(`SELECT locked_until FROM auth_throttle WHERE client_key = ?`).bind(clientKey),
  ]);
  return (left!.results as { locked_until: number }[])[0]?.locked_until ?? 0;
}
