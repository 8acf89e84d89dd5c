import { createExecutionContext, env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ADMIN_TOKEN, ORIGIN, login, post, seed } from "./seed";

/** A copied session cookie must stop working when its session ends: on logout, and when ADMIN_TOKEN rotates. */

beforeAll(seed);

const page = (path: string, cookie: string, e: object = env) =>
  worker.fetch(new Request(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" }), e as never, createExecutionContext());

const outboxStatus = async (id: string) => (await env.DB.prepare(`SELECT status FROM outbox WHERE id = ?`).bind(id).first<{ status: string }>())?.status;

describe("server-side sessions", () => {
  it("after logout, a replayed copy of the cookie opens no page and replays no dead letter", async () => {
    const { cookie, csrf } = await login();
    expect((await page("/outbox", cookie)).status).toBe(200);
    const out = await post("/logout", cookie, { _csrf: csrf });
    expect(out.status).toBe(303);

    const replayed = await page("/outbox", cookie);
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get("location")).toBe("/");
    const form = await post("/outbox/replay", cookie, { _csrf: csrf, destination: "hubspot", from: "", to: "", status: "" });
    expect(form.status).toBe(403);
    expect(await form.text()).toContain("Log in to the dashboard first.");
    expect(await outboxStatus("hubspot.properties:123")).toBe("dead");
  });

  it("logging out one session leaves another one working", async () => {
    const a = await login();
    const b = await login();
    await post("/logout", a.cookie, { _csrf: a.csrf });
    expect((await page("/alerts", a.cookie)).status).toBe(303);
    expect((await page("/alerts", b.cookie)).status).toBe(200);
  });

  it("rotating ADMIN_TOKEN ends every session made under the old one", async () => {
    const { cookie } = await login();
    expect((await page("/portfolio", cookie)).status).toBe(200);
    const rotated = { ...env, ADMIN_TOKEN: `${ADMIN_TOKEN}-rotated` };
    const res = await page("/portfolio", cookie, rotated);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    expect(await (await page("/", cookie, rotated)).text()).toContain('<form method="post" action="/login">');
    // The row was deleted, so rotating back does not revive it either.
    expect((await page("/portfolio", cookie)).status).toBe(303);
  });

  it("the session table holds a hash of the cookie's id, not the id", async () => {
    const { cookie } = await login();
    const id = cookie.split("=")[1]!;
    const { results } = await env.DB.prepare(`SELECT id_hash FROM dashboard_sessions`).all<{ id_hash: string }>();
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((r) => r.id_hash === id)).toBe(false);
  });

  it("a session is only read from the __Host- cookie", async () => {
    const { cookie } = await login();
    const id = cookie.split("=")[1]!;
    expect((await SELF.fetch(`${ORIGIN}/alerts`, { headers: { cookie: `tenure_session=${id}` }, redirect: "manual" })).status).toBe(303);
  });
});
