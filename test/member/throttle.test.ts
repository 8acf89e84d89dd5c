import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authThrottlePolicy } from "../../src/core/auth-throttle";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { scenario } from "../loyalty/support";
import { BASE, HOST_ORIGIN, memberCall, tokenFor } from "./support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
const { payingCustomer } = scenario(fakes.stripe);

let A: string;
let good: string;
let forged: string;

beforeAll(async () => {
  A = (await payingCustomer("throttlea", "throttlea.example")).id;
  good = await tokenFor(A);
  forged = await tokenFor(A, { secret: "not-the-member-secret-0123456789abcdef" });
});

const from = (ip: string) => ({ "cf-connecting-ip": ip });

describe("member token throttling per client address", () => {
  it("forged tokens answer 401 until the threshold, then 429 with Retry-After, the right token included, readable cross-origin", async () => {
    const ip = "203.0.113.7";
    const statuses: number[] = [];
    for (let i = 0; i < authThrottlePolicy.threshold; i++) statuses.push((await memberCall("GET", "/me", forged, undefined, from(ip))).status);
    expect(statuses).toEqual(Array(authThrottlePolicy.threshold).fill(401));
    const lockedOut = await memberCall("GET", "/me", good, undefined, from(ip));
    expect(lockedOut.status).toBe(429);
    expect(lockedOut.body.error).toMatchObject({ code: "too_many_attempts" });
    const retryAfter = Number(lockedOut.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(authThrottlePolicy.baseLockMs / 1000);
    expect(lockedOut.headers.get("access-control-allow-origin")).toBe("*");
    expect(lockedOut.headers.get("access-control-expose-headers")).toContain("retry-after");
    // Another address is not affected, and neither is the admin API from the locked one.
    expect((await memberCall("GET", "/me", good, undefined, from("198.51.100.9"))).status).toBe(200);
    const admin = await SELF.fetch(`${BASE}/api/loyalty/summary`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN as string}`, ...from(ip) } });
    expect(admin.status).toBe(200);
    // Once the lock has run out, the right token works again.
    await env.DB.prepare(`UPDATE auth_throttle SET locked_until = 1 WHERE client_key = ?`).bind(`member:${ip}`).run();
    expect((await memberCall("GET", "/me", good, undefined, from(ip))).status).toBe(200);
  });

  it("a burst of forged tokens sent together is counted in full", async () => {
    const ip = "203.0.113.8";
    const burst = await Promise.all(Array.from({ length: 12 }, () => memberCall("GET", "/me", forged, undefined, from(ip))));
    const counts = burst.map((r) => r.status);
    expect(counts.filter((s) => s === 401).length).toBeLessThanOrEqual(authThrottlePolicy.threshold);
    expect(counts.filter((s) => s === 429).length).toBeGreaterThanOrEqual(12 - authThrottlePolicy.threshold);
    expect((await memberCall("GET", "/me", good, undefined, from(ip))).status).toBe(429);
  });

  it("tokens signed with the secret (expired, or naming an unknown account) and requests without one are not guesses", async () => {
    const ip = "203.0.113.9";
    const expired = await tokenFor(A, { expiresIn: -60 });
    const stranger = await tokenFor("cu_nobody");
    for (let i = 0; i < authThrottlePolicy.threshold * 2; i++) {
      expect((await memberCall("GET", "/me", expired, undefined, from(ip))).status).toBe(401);
      expect((await memberCall("GET", "/me", stranger, undefined, from(ip))).status).toBe(401);
      expect((await memberCall("GET", "/me", null, undefined, from(ip))).status).toBe(401);
    }
    expect((await memberCall("GET", "/me", good, undefined, from(ip))).status).toBe(200);
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM auth_throttle WHERE client_key = ?`).bind(`member:${ip}`).first<{ n: number }>()).toEqual({ n: 0 });
  });

  it("the CORS preflight is never throttled", async () => {
    const res = await SELF.fetch(`${BASE}/member/me`, { method: "OPTIONS", headers: { origin: HOST_ORIGIN, "access-control-request-method": "GET", ...from("203.0.113.8") } });
    expect(res.status).toBe(204);
  });
});
