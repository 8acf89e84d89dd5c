import { lockRemainingMs, throttleClientKey } from "../core/auth-throttle";
import { log } from "../log";
import { countFailure, loadThrottle } from "../store/auth-throttle";
import type { TokenRefusal } from "./token";

/**
 * Failed member token checks per client address, with the admin throttle's policy (src/core/auth-throttle.ts)
 * under its own key, so a widget with a stale token never locks an office out of the dashboard, nor the reverse.
 *
 * Only refusals that say the signer did not hold TENURE_MEMBER_SECRET count: a malformed token, a wrong
 * algorithm, a bad signature. An expired or too long-lived token, or one naming an unknown account, was signed
 * with the secret: the SaaS's backend made it, nobody guessed it.
 */

const GUESSES: ReadonlySet<TokenRefusal> = new Set<TokenRefusal>(["malformed", "wrong_algorithm", "bad_signature"]);
export const countsAsGuess = (reason: TokenRefusal) => GUESSES.has(reason);

export const memberThrottleKey = (clientIp: string | undefined) => `member:${throttleClientKey(clientIp)}`;

export const memberLockedMessage = (retryAfterS: number) =>
  `Too many invalid member tokens from your address: wait ${retryAfterS} s. Until then every member request from it is refused.`;

/** Whole seconds this client must still wait before its token is looked at; 0 when it may try. */
export async function memberLockRemainingS(db: D1Database, key: string, now: number): Promise<number> {
  const s = Math.ceil(lockRemainingMs(await loadThrottle(db, key), now) / 1000);
  if (s > 0) log("warn", "member auth throttled", { client: key, retryAfterS: s });
  return s;
}

/** Counts a guess; returns the seconds of a lock it ran into (another failure locked the client first), else 0. */
export async function noteMemberGuess(db: D1Database, key: string, reason: TokenRefusal, now: number): Promise<number> {
  const next = await countFailure(db, key, now);
  if (next) {
    log("info", "member token refused", { reason, client: key, failures: next.failures });
    return 0;
  }
  return Math.max(1, Math.ceil(lockRemainingMs(await loadThrottle(db, key), now) / 1000));
}
