import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authThrottlePolicy as P, forgetAt, lockRemainingMs, recordFailure, throttleClientKey, type ThrottleState } from "../../src/core/auth-throttle";

const t0 = Date.parse("2026-11-23T10:00:00Z");

/** Fails as soon as the client may try again; returns each lock's length in seconds. */
function failAsSoonAsAllowed(n: number): number[] {
  let state: ThrottleState | null = null;
  let now = t0;
  const locks: number[] = [];
  for (let i = 0; i < n; i++) {
    now += lockRemainingMs(state, now) + 1;
    state = recordFailure(state, now);
    const lock = lockRemainingMs(state, now);
    if (lock) locks.push(lock / 1000);
  }
  return locks;
}

describe("auth throttle policy", () => {
  it("allows the threshold's failures, then locks for 30 s, doubling each time up to 15 minutes", () => {
    expect(failAsSoonAsAllowed(P.threshold - 1)).toEqual([]);
    expect(failAsSoonAsAllowed(P.threshold + 7)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  it("starts again from zero after a quiet window past the last failure and lock", () => {
    let state: ThrottleState | null = null;
    for (let i = 0; i < P.threshold; i++) state = recordFailure(state, t0 + i);
    const quietFrom = forgetAt(state!);
    expect(recordFailure(state, quietFrom - 1).failures).toBe(P.threshold + 1);
    expect(recordFailure(state, quietFrom)).toEqual({ failures: 1, lastFailureAt: quietFrom, lockedUntil: 0 });
  });

  it("never locks for longer than the cap, nor for a negative time", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(20 * 60_000), { maxLength: 60 }), (gaps) => {
        let state: ThrottleState | null = null;
        let now = t0;
        for (const gap of gaps) {
          now += gap;
          if (lockRemainingMs(state, now) > 0) continue;
          state = recordFailure(state, now);
          const lock = lockRemainingMs(state, now);
          if (lock < 0 || lock > P.maxLockMs) return false;
        }
        return true;
      }),
    );
  });
});

describe("throttle client key", () => {
  it("is the IPv4 address, an IPv6 address's /64, or one shared key without an address", () => {
    expect(throttleClientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(throttleClientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(throttleClientKey("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(throttleClientKey("::1")).toBe("0:0:0:0::/64");
    expect(throttleClientKey(undefined)).toBe("local");
    expect(throttleClientKey("")).toBe("local");
    expect(throttleClientKey("not an address; DROP TABLE")).toBe("invalid");
  });
});
