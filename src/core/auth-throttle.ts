/**
 * Back-off for failed admin-token checks (dashboard login and the admin API's bearer token), per client.
 * Pure: the caller loads the client's state, passes `now`, and saves what comes back.
 *
 * The first `threshold` failures answer 401. The failure that reaches the threshold locks the client for
 * `baseLockMs`, and every failure after a lock has run out doubles it, up to `maxLockMs`. While locked, every
 * attempt is refused unchecked, the right token included: otherwise the lock would still let guesses through.
 * A client that stays quiet for `windowMs` after its last failure or lock starts again from zero.
 */

export const authThrottlePolicy = { threshold: 5, windowMs: 5 * 60_000, baseLockMs: 30_000, maxLockMs: 15 * 60_000 } as const;
export type AuthThrottlePolicy = typeof authThrottlePolicy;

export interface ThrottleState {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

/** How long this client must still wait, in ms; 0 when it may try. */
export function lockRemainingMs(state: ThrottleState | null, now: number): number {
  return state && state.lockedUntil > now ? state.lockedUntil - now : 0;
}

/** When a state stops mattering and its row may be deleted. */
export function forgetAt(state: ThrottleState, policy: AuthThrottlePolicy = authThrottlePolicy): number {
  return Math.max(state.lastFailureAt, state.lockedUntil) + policy.windowMs;
}

/** The state after one more failure. Only called when the client was not locked. */
export function recordFailure(state: ThrottleState | null, now: number, policy: AuthThrottlePolicy = authThrottlePolicy): ThrottleState {
  const failures = (state && forgetAt(state, policy) > now ? state.failures : 0) + 1;
  const over = failures - policy.threshold;
  const lockedUntil = over >= 0 ? now + Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** Math.min(over, 30)) : 0;
  return { failures, lastFailureAt: now, lockedUntil };
}

/**
 * The key failures are counted under: the client's IP address, an IPv6 address by its /64 (one subscriber
 * usually holds a whole /64, so counting single addresses would give them billions of tries). Without an
 * address (local development, in-process calls) every request shares one key.
 */
export function throttleClientKey(ip: string | undefined | null): string {
  const addr = (ip ?? "").trim().toLowerCase();
  if (!addr) return "local";
  if (!addr.includes(":")) return /^[0-9.]{7,15}$/.test(addr) ? addr : "invalid";
  const [head = "", tail = ""] = addr.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = addr.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return /^[0-9a-f:.]+$/.test(addr) ? addr.slice(0, 45) : "invalid";
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
