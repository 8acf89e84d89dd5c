import { lockRemainingMs, throttleClientKey, type ThrottleState } from "../core/auth-throttle";
import { log } from "../log";
import { admitRightToken, countFailure, loadThrottle } from "../store/auth-throttle";

/**
 * The I/O around src/core/auth-throttle.ts, shared by the dashboard login and the admin API's bearer check:
 * one counter per client, because both guess the same secret. Logs never carry the token, only the client.
 */

export type AdminAuthVia = "login" | "bearer";

export interface ThrottleCheck {
  clientKey: string;
  state: ThrottleState | null;
  /** Whole seconds the client must still wait; 0 when it may try. */
  retryAfterS: number;
}

export const lockedMessage = (retryAfterS: number) =>
  `Too many wrong admin tokens from your address: wait ${retryAfterS} s. Until then every attempt is refused, even with the right token.`;

/** `clientIp` is the request's CF-Connecting-IP header, which Cloudflare sets and a client cannot forge. */
export async function checkThrottle(db: D1Database, clientIp: string | undefined, via: AdminAuthVia, now: number): Promise<ThrottleCheck> {
  const clientKey = throttleClientKey(clientIp);
  const state = await loadThrottle(db, clientKey);
  const retryAfterS = Math.ceil(lockRemainingMs(state, now) / 1000);
  if (retryAfterS > 0) log("warn", "admin auth throttled", { via, client: clientKey, retryAfterS });
  return { clientKey, state, retryAfterS };
}

/**
 * Counts a wrong token. Returns the seconds the client must now wait: the lock this failure started, or, when
 * failures sent at the same time locked the client first (this one then does not count), that lock's rest.
 */
export async function noteFailure(db: D1Database, check: ThrottleCheck, via: AdminAuthVia, now: number): Promise<{ lockedForS: number; counted: boolean }> {
  const next = await countFailure(db, check.clientKey, now);
  if (!next) {
    const retryAfterS = Math.max(1, Math.ceil(lockRemainingMs(await loadThrottle(db, check.clientKey), now) / 1000));
    log("warn", "admin auth throttled", { via, client: check.clientKey, retryAfterS });
    return { lockedForS: retryAfterS, counted: false };
  }
  const lockedForS = Math.ceil(lockRemainingMs(next, now) / 1000);
  log("warn", "admin token refused", { via, client: check.clientKey, failures: next.failures, ...(lockedForS ? { lockedForS } : {}) });
  return { lockedForS, counted: true };
}

/**
 * A right token resets the client's count, unless failures counted before it (a burst sent together) locked the
 * client: then it is refused like any attempt during a lock. Returns the seconds to wait, 0 when admitted.
 */
export async function noteSuccess(db: D1Database, check: ThrottleCheck, via: AdminAuthVia, now: number): Promise<number> {
  const lockedUntil = await admitRightToken(db, check.clientKey, now);
  if (lockedUntil <= now) return 0;
  const retryAfterS = Math.ceil((lockedUntil - now) / 1000);
  log("warn", "admin auth throttled", { via, client: check.clientKey, retryAfterS });
  return retryAfterS;
}
