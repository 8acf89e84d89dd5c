import { describe, expect, it } from "vitest";
import { admit, DEFAULT_POLICY, initialBreaker, record } from "../../src/outbox/breaker";

const policy = { ...DEFAULT_POLICY, maxCalls: 2, perMs: 1_000 };
const T = 1_000_000;

describe("admit", () => {
  it("reserves a token at the end of a wait the caller will sit out, and counts it", () => {
    let s = initialBreaker();
    for (let i = 0; i < 2; i++) s = admit(s, policy, T).state;
    const reserved = admit(s, policy, T + 100, 1, 2_000);
    expect(reserved.waitMs).toBe(900);
    expect(reserved.state.admitted).toEqual([T, T, T + 1_000]);
    // Reserved slots count like calls made: the window at T+1000 holds two, so a fourth call waits for the next.
    const next = admit(reserved.state, policy, T + 100, 1, 2_000);
    expect(next.waitMs).toBe(900);
    expect(admit(next.state, policy, T + 100, 1, 2_000).waitMs).toBe(1_900);
  });

  it("reserves nothing for a wait longer than the caller will sit out", () => {
    let s = initialBreaker();
    for (let i = 0; i < 2; i++) s = admit(s, policy, T).state;
    const refused = admit(s, policy, T, 1, 500);
    expect(refused.waitMs).toBe(1_000);
    expect(refused.state.admitted).toHaveLength(2);
  });

  it("never has a vendor pause or an open breaker waited out in place", () => {
    const paused = record(initialBreaker(), policy, T, [{ ok: true, retryAfterMs: 300 }]);
    expect(admit(paused, policy, T, 1, 2_000).waitMs).toBeGreaterThan(2_000);
    expect(admit(paused, policy, T).waitMs).toBe(300);
  });
});
