import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ORIGIN, login, post } from "../dashboard/seed";
import { rowsOf, seedAlert, seedCustomer, seedRecovery } from "./support";

let session: { cookie: string; csrf: string };
const page = async (path: string) => {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: session.cookie }, redirect: "manual" });
  return { res, html: await res.text() };
};
const ids = (html: string) => rowsOf(html).map((r) => r.id);
const HOUR = 3_600_000;

beforeAll(async () => {
  session = await login();
  const now = Date.now();
  await seedCustomer("pg_acme", "Acme <b>Corp</b>");
  await seedCustomer("pg_globex", "Globex");
  await seedCustomer("pg_initech", "Initech");
  await seedAlert("pg:a1", "pg_acme", "payment_failed", "<script>alert(1)</script> payment failed", { at: now - 1 * HOUR, extra: { ownerEmail: "ana@example.com" } });
  await seedAlert("pg:a2", "pg_acme", "entered_red", "Acme entered red", { at: now - 5 * HOUR });
  await seedAlert("pg:b1", "pg_globex", "score_drop", "Globex dropped", { at: now - 2 * HOUR });
  await seedAlert("pg:b2", "pg_globex", "entered_red", "Globex entered red", { at: now - 3 * HOUR });
  await seedAlert("pg:c1", "pg_initech", "payment_failed", "Initech payment failed", { at: now - 4 * HOUR });
  await seedRecovery("pg:c1", "pg_initech", now - HOUR);
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO alert_states (action_id, customer_id, status, by_user, at, snoozed_until) VALUES ('pg:b1', 'pg_globex', 'acknowledged', 'U0ANNA', ?, NULL)`).bind(now),
    env.DB.prepare(`INSERT INTO alert_states (action_id, customer_id, status, by_user, at, snoozed_until) VALUES ('pg:b2', 'pg_globex', 'snoozed', 'U0ANNA', ?, ?)`).bind(now, now + 86_400_000),
  ]);
});

describe("GET /alerts", () => {
  it("groups alerts by account, accounts by their newest alert, alerts newest first", async () => {
    const { html } = await page("/alerts");
    const rows = rowsOf(html).filter((r) => r.id.startsWith("pg:"));
    expect(rows).toEqual([
      { account: "pg_acme", id: "pg:a1" },
      { account: "pg_acme", id: "pg:a2" },
      { account: "pg_globex", id: "pg:b1" },
      { account: "pg_globex", id: "pg:b2" },
      { account: "pg_initech", id: "pg:c1" },
    ]);
  });

  it("derives open, acknowledged, snoozed and resolved (a recovery was planned)", async () => {
    expect(ids((await page("/alerts?status=open")).html).filter((i) => i.startsWith("pg:"))).toEqual(["pg:a1", "pg:a2"]);
    expect(ids((await page("/alerts?status=acknowledged")).html)).toContain("pg:b1");
    expect(ids((await page("/alerts?status=snoozed")).html)).toEqual(["pg:b2"]);
    expect(ids((await page("/alerts?status=resolved")).html)).toEqual(["pg:c1"]);
  });

  it("filters by rule and by owner, and ignores a filter value it does not know", async () => {
    expect(ids((await page("/alerts?rule=payment_failed")).html).filter((i) => i.startsWith("pg:"))).toEqual(["pg:a1", "pg:c1"]);
    expect(ids((await page("/alerts?owner=ANA%40example.com")).html)).toEqual(["pg:a1"]);
    const { res, html } = await page("/alerts?rule=drop_table&status=nope&offset=-4");
    expect(res.status).toBe(200);
    expect(ids(html)).toContain("pg:a1");
  });

  it("escapes hostile text from alerts and account names", async () => {
    const { html } = await page("/alerts?rule=payment_failed");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; payment failed");
    expect(html).not.toContain("<b>Corp</b>");
  });

  it("pages 50 alerts at a time, keeping the filters in the links", async () => {
    const now = Date.now();
    await seedCustomer("pg_many", "Many");
    for (let i = 0; i < 60; i++) await seedAlert(`pg:m${String(i).padStart(2, "0")}`, "pg_many", "cancel_scheduled", `cancel ${i}`, { at: now - 10 * HOUR - i * 1000 });
    const first = await page("/alerts?rule=cancel_scheduled");
    expect(ids(first.html)).toHaveLength(50);
    expect(ids(first.html)[0]).toBe("pg:m00");
    expect(first.html).toContain('href="/alerts?rule=cancel_scheduled&amp;offset=50"');
    const second = await page("/alerts?rule=cancel_scheduled&offset=50");
    expect(ids(second.html)).toEqual(Array.from({ length: 10 }, (_, i) => `pg:m${50 + i}`));
    expect(second.html).not.toContain("Older");
  });
});

describe("alert forms", () => {
  it("refuse a form without the session's CSRF token and change nothing", async () => {
    const res = await post("/alerts/pg:a2/acknowledge", session.cookie, { back: "/alerts" });
    expect(res.status).toBe(403);
    const forged = await post("/alerts/pg:a2/note", session.cookie, { _csrf: "not-the-token", note: "hi" });
    expect(forged.status).toBe(403);
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM alert_activity WHERE action_id = 'pg:a2'`).first("n")).toBe(0);
    expect(ids((await page("/alerts?status=open")).html)).toContain("pg:a2");
  });

  it("assign an owner (the owner filter follows) and add notes, escaped, keeping the last 20", async () => {
    expect((await post("/alerts/pg:a2/assign", session.cookie, { _csrf: session.csrf, owner: "bo@example.com", back: "/alerts?status=open" })).headers.get("location")).toBe(
      "/alerts?status=open",
    );
    expect(ids((await page("/alerts?owner=bo%40example.com")).html)).toEqual(["pg:a2"]);
    for (let i = 0; i < 21; i++) await post("/alerts/pg:a2/note", session.cookie, { _csrf: session.csrf, note: `call them back ${i}` });
    expect((await post("/alerts/pg:a2/note", session.cookie, { _csrf: session.csrf, note: "<img src=x onerror=alert(1)>" })).status).toBe(303);
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM alert_activity WHERE action_id = 'pg:a2' AND kind = 'note'`).first("n")).toBe(20);
    const { html } = await page("/alerts?owner=bo%40example.com");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("admin (token) assigned to bo@example.com");
    expect(html).not.toContain("call them back 0<");
  });

  it("refuse a note over 1,000 characters, and an unknown alert", async () => {
    expect((await post("/alerts/pg:a2/note", session.cookie, { _csrf: session.csrf, note: "x".repeat(1001) })).status).toBe(400);
    const missing = await post("/alerts/nope/acknowledge", session.cookie, { _csrf: session.csrf });
    expect(missing.headers.get("location")).toBe("/alerts?notice=missing&id=nope");
  });
});
