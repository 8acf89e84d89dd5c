import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";

/**
 * Repeated wrong admin tokens from one client, on the dashboard login and on the admin API: after five,
 * 429 with Retry-After, the right token included, while other clients are unaffected.
 */
const BASE = "https://tenure.example.com";
const TOKEN = env.ADMIN_TOKEN as string;
const wrong = (i: number) => `wrong-token-${i}-${"x".repeat(12)}`;

const loginAs = (ip: string, token: string) =>
  SELF.fetch(`${BASE}/login`, { method: "POST", body: new URLSearchParams({ token }), headers: { "cf-connecting-ip": ip }, redirect: "manual" });
const apiAs = (ip: string, token: string) => SELF.fetch(`${BASE}/api/customers`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip } });

const row = (key: string) => env.DB.prepare(`SELECT * FROM auth_throttle WHERE client_key = ?`).bind(key).first<{ failures: number; locked_until: number }>();

afterEach(() => vi.restoreAllMocks());

async function fortyWrong(send: (i: number) => Promise<Response>) {
  const answers: { status: number; retryAfter: number | null; body: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await send(i);
    const retryAfter = res.headers.get("retry-after");
    answers.push({ status: res.status, retryAfter: retryAfter === null ? null : Number(retryAfter), body: await res.text() });
  }
  return answers;
}

describe("failed admin tokens are throttled per client", () => {
  it("a burst of wrong tokens sent at once is counted in full: no lost update lets the right token through after it", async () => {
    const ip = "203.0.113.40";
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => apiAs(ip, wrong(i))));
    expect(burst.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    expect(burst.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect((await row(ip))?.failures).toBe(5);
    expect((await apiAs(ip, TOKEN)).status).toBe(429);
  });

  it("POST /login: five 401s, then 429 with Retry-After; the right token is refused too, another client is not", async () => {
    const answers = await fortyWrong((i) => loginAs("203.0.113.10", wrong(i)));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    for (const a of answers.slice(5)) {
      expect(a.status).toBe(429);
      expect(a.retryAfter).toBeGreaterThan(0);
      expect(a.retryAfter).toBeLessThanOrEqual(30);
      expect(a.body).toContain("Too many wrong admin tokens");
    }
    const right = await loginAs("203.0.113.10", TOKEN);
    expect(right.status).toBe(429);
    expect(right.headers.get("set-cookie") ?? "").not.toContain("tenure_session");
    expect(await right.text()).toContain("even with the right token");
    expect((await loginAs("203.0.113.11", TOKEN)).status).toBe(303);
  });

  it("Authorization: Bearer on /api: five 401s, then 429 with Retry-After; the right token is refused too", async () => {
    const answers = await fortyWrong((i) => apiAs("203.0.113.20", wrong(i)));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    for (const a of answers.slice(5)) {
      expect(a.status).toBe(429);
      expect(a.retryAfter).toBeGreaterThan(0);
      expect(a.retryAfter).toBeLessThanOrEqual(30);
      expect(JSON.parse(a.body).error).toMatchObject({ code: "too_many_attempts", retryAfter: a.retryAfter });
    }
    const right = await apiAs("203.0.113.20", TOKEN);
    expect(right.status).toBe(429);
    expect((await right.json<{ error: { message: string } }>()).error.message).toContain("even with the right token");
    expect((await apiAs("203.0.113.21", TOKEN)).status).toBe(200);
  });

  it("login and bearer failures share one count per client, and an IPv6 client is counted by its /64", async () => {
    for (let i = 0; i < 3; i++) expect((await loginAs(`2001:db8:5:6::${i + 1}`, wrong(i))).status).toBe(401);
    expect((await apiAs("2001:db8:5:6:ffff::9", wrong(3))).status).toBe(401);
    expect((await apiAs("2001:db8:5:6:eeee::9", wrong(4))).status).toBe(401);
    expect((await loginAs("2001:db8:5:6::77", TOKEN)).status).toBe(429);
    expect(await row("2001:db8:5:6::/64")).toMatchObject({ failures: 5 });
  });

  it("the right token resets the count", async () => {
    const ip = "203.0.113.30";
    for (let i = 0; i < 4; i++) expect((await apiAs(ip, wrong(i))).status).toBe(401);
    expect((await apiAs(ip, TOKEN)).status).toBe(200);
    expect(await row(ip)).toBeNull();
    for (let i = 0; i < 4; i++) expect((await apiAs(ip, wrong(i))).status).toBe(401);
  });

  it("a failure right after a lock ends doubles the next lock", async () => {
    const ip = "203.0.113.40";
    for (let i = 0; i < 5; i++) await apiAs(ip, wrong(i));
    // The 30 s lock has run out.
    await env.DB.prepare(`UPDATE auth_throttle SET locked_until = ?, last_failure_at = ? WHERE client_key = ?`).bind(Date.now() - 1, Date.now() - 31_000, ip).run();
    expect((await apiAs(ip, wrong(6))).status).toBe(401);
    const res = await apiAs(ip, TOKEN);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(30);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });

  it("logs a warning for each refusal, naming the client and never the token", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const ip = "203.0.113.50";
    for (let i = 0; i < 6; i++) await apiAs(ip, `secret-guess-${i}-abcdef`);
    const lines = warn.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === "admin token refused")).toHaveLength(5);
    expect(lines.filter((l) => l.msg === "admin auth throttled")).toHaveLength(1);
    expect(lines.every((l) => l.client === ip)).toBe(true);
    expect(lines.find((l) => l.failures === 5)).toMatchObject({ via: "bearer", lockedForS: 30 });
    expect(JSON.stringify(lines)).not.toContain("secret-guess");
  });

  it("keeps one row per client and prunes forgotten ones as failures come in", async () => {
    const old = Date.now() - 3_600_000;
    await env.DB.batch(
      Array.from({ length: 30 }, (_, i) => env.DB.prepare(`INSERT INTO auth_throttle VALUES (?, 3, ?, 0, ?)`).bind(`192.0.2.${i}`, old, old + 300_000)),
    );
    await apiAs("203.0.113.60", wrong(0));
    await apiAs("203.0.113.60", wrong(1));
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM auth_throttle WHERE client_key LIKE '192.0.2.%'`).first<{ n: number }>())!;
    expect(n).toBe(0);
    expect(await row("203.0.113.60")).toMatchObject({ failures: 2 });
  });
});
