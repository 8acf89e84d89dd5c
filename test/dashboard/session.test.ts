import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  SESSION_IDLE_MS,
  SESSION_TTL_MS,
  createSession,
  csrfMatches,
  endSession,
  loginFormToken,
  loginFormTokenMatches,
  verifySession,
} from "../../src/dashboard/session";

const TOKEN = "admin-token-for-session-tests";
const now = Date.parse("2026-11-23T10:00:00Z");
const db = env.DB;

const rows = async () => (await db.prepare(`SELECT * FROM dashboard_sessions`).all<Record<string, unknown>>()).results;

describe("dashboard sessions in D1", () => {
  it("a fresh session verifies; D1 holds a hash of its id, never the id or the admin token", async () => {
    const session = await createSession(db, TOKEN, now, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verifySession(db, TOKEN, session.id, now + 1000)).toEqual(session);
    expect(session.expiresAt).toBe(now + SESSION_TTL_MS);
    const stored = JSON.stringify(await rows());
    expect(stored).not.toContain(session.id);
    expect(stored).not.toContain(TOKEN);
    expect(stored).toContain("Chrome 131 on Linux");
  });

  it("refuses a changed id, garbage, and nothing", async () => {
    const { id } = await createSession(db, TOKEN, now);
    const flipped = (id[0] === "A" ? "B" : "A") + id.slice(1);
    for (const forged of [flipped, `${id}x`, "", "garbage", undefined]) expect(await verifySession(db, TOKEN, forged, now)).toBeNull();
  });

  it("ends at its absolute lifetime even when used all along", async () => {
    const { id } = await createSession(db, TOKEN, now);
    for (let t = now; t < now + SESSION_TTL_MS; t += SESSION_IDLE_MS / 2) expect(await verifySession(db, TOKEN, id, t), `at +${(t - now) / 3_600_000} h`).not.toBeNull();
    expect(await verifySession(db, TOKEN, id, now + SESSION_TTL_MS)).toBeNull();
  });

  it("ends after the idle timeout, and stays ended", async () => {
    const { id } = await createSession(db, TOKEN, now);
    expect(await verifySession(db, TOKEN, id, now + SESSION_IDLE_MS)).toBeNull();
    expect(await verifySession(db, TOKEN, id, now + 1000)).toBeNull();
  });

  it("ends when logged out: the same cookie value is refused afterwards", async () => {
    const { id } = await createSession(db, TOKEN, now);
    await endSession(db, id);
    expect(await verifySession(db, TOKEN, id, now + 1000)).toBeNull();
  });

  it("ends when ADMIN_TOKEN rotates, even if the old token comes back later", async () => {
    const { id } = await createSession(db, TOKEN, now);
    expect(await verifySession(db, "another-admin-token", id, now + 1000)).toBeNull();
    expect(await verifySession(db, TOKEN, id, now + 2000)).toBeNull();
  });

  it("a login prunes expired and revoked rows, a bounded page at a time", async () => {
    await db.prepare(`DELETE FROM dashboard_sessions`).run();
    const stale = Array.from({ length: 60 }, (_, i) =>
      db.prepare(`INSERT INTO dashboard_sessions VALUES (?, 'fp', ?, ?, ?, 'x')`).bind(`stale-${i}`, now - SESSION_TTL_MS * 2, now - SESSION_TTL_MS * 2, now - SESSION_TTL_MS),
    );
    await db.batch(stale);
    await createSession(db, TOKEN, now);
    expect((await rows()).length).toBe(60 - 50 + 1);
    await createSession(db, TOKEN, now);
    expect((await rows()).length).toBe(2);
  });

  it("CSRF tokens are per session and compared exactly", async () => {
    const a = await createSession(db, TOKEN, now);
    const b = await createSession(db, TOKEN, now);
    expect(a.csrf).not.toBe(b.csrf);
    expect(csrfMatches(a, a.csrf)).toBe(true);
    expect(csrfMatches(a, b.csrf)).toBe(false);
    expect(csrfMatches(a, "")).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
  });

  it("the login form's token matches only its own cookie and token", async () => {
    const a = await loginFormToken(TOKEN);
    const b = await loginFormToken(TOKEN);
    expect(await loginFormTokenMatches(TOKEN, a.cookie, a.field)).toBe(true);
    expect(await loginFormTokenMatches(TOKEN, a.cookie, b.field)).toBe(false);
    expect(await loginFormTokenMatches(TOKEN, undefined, a.field)).toBe(false);
    expect(await loginFormTokenMatches(TOKEN, a.cookie, "")).toBe(false);
    expect(await loginFormTokenMatches("another-admin-token", a.cookie, a.field)).toBe(false);
  });
});
