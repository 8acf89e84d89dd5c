import { describe, expect, it } from "vitest";
import { SESSION_TTL_MS, createSession, csrfMatches, isLocalHost, verifySession } from "../../src/dashboard/session";

const TOKEN = "admin-token-for-session-tests";
const now = Date.parse("2026-11-23T10:00:00Z");

describe("dashboard sessions", () => {
  it("a fresh session verifies, and never contains the admin token", async () => {
    const { cookie, session } = await createSession(TOKEN, now);
    expect(cookie).not.toContain(TOKEN);
    expect(cookie).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const back = await verifySession(TOKEN, cookie, now + 1000);
    expect(back).toEqual(session);
    expect(back!.expiresAt).toBe(now + SESSION_TTL_MS);
  });

  it("rejects a changed expiry, id or signature", async () => {
    const { cookie } = await createSession(TOKEN, now);
    const [v, exp, id, sig] = cookie.split(".") as [string, string, string, string];
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    for (const forged of [`${v}.${Number(exp) + 1}.${id}.${sig}`, `${v}.${exp}.${flip(id)}.${sig}`, `${v}.${exp}.${id}.${flip(sig)}`, "", "garbage"]) {
      expect(await verifySession(TOKEN, forged, now)).toBeNull();
    }
  });

  it("expires after its TTL, and ends when ADMIN_TOKEN rotates", async () => {
    const { cookie } = await createSession(TOKEN, now);
    expect(await verifySession(TOKEN, cookie, now + SESSION_TTL_MS)).toBeNull();
    expect(await verifySession("another-admin-token", cookie, now)).toBeNull();
  });

  it("CSRF tokens are per session and compared exactly", async () => {
    const a = (await createSession(TOKEN, now)).session;
    const b = (await createSession(TOKEN, now)).session;
    expect(a.csrf).not.toBe(b.csrf);
    expect(csrfMatches(a, a.csrf)).toBe(true);
    expect(csrfMatches(a, b.csrf)).toBe(false);
    expect(csrfMatches(a, "")).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
  });

  it("only local hosts get a cookie without Secure", () => {
    expect(isLocalHost("http://localhost:8787/")).toBe(true);
    expect(isLocalHost("http://127.0.0.1:8787/")).toBe(true);
    expect(isLocalHost("https://tenure.example.com/")).toBe(false);
  });
});
