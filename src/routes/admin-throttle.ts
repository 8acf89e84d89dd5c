import { lockRemainingMs, recordFailure, throttleClientKey, type ThrottleState } from "../core/auth-throttle";
import { log } from "../log";
import { clearThrottle, loadThrottle, saveThrottle } from "../store/auth-throttle";

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

/** Counts a wrong token; returns the seconds of lock it started (0 when none). */
export async function noteFailure(db: D1Database, check: ThrottleCheck, via: AdminAuthVia, now: number): Promise<number> {
  const next = recordFailure(check.state, now);
  await saveThrottle(db, check.clientKey, next, now);
  const lockedForS = Math.ceil(lockRemainingMs(next, now) / 1000);
  log("warn", "admin token refused", { via, client: check.clientKey, failures: next.failures, ...(lockedForS ? { lockedForS } : {}) });
  return lockedForS;
}

/** A right token resets the client's count. */
export async function noteSuccess(db: D1Database, check: ThrottleCheck): Promise<void> {
  if (check.state) await clearThrottle(db, check.clientKey);
}
