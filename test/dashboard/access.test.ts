import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { setupServer, type SetupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { dashboard } from "../../src/routes/dashboard";
import { seedAlert, seedCustomer } from "../alerts/support";
import { FakeAccessTeam, strangerKey } from "../fakes/access";
import { ORIGIN } from "./seed";

const CSM = "bo@acme.example";
const ADMIN = "ana@acme.example";
const VIEWER = "cy@elsewhere.example";
const ALERT = "acc:a1";

let team: FakeAccessTeam;
let server: SetupServer;
/** Only this file's requests run behind Access: the other dashboard tests keep the ADMIN_TOKEN login. */
let accessEnv: typeof env;

async function send(path: string, o: { jwt?: string; cookie?: boolean; form?: Record<string, string> } = {}) {
  const headers: Record<string, string> = {};
  if (o.jwt && o.cookie) headers.cookie = `CF_Authorization=${o.jwt}`;
  else if (o.jwt) headers["cf-access-jwt-assertion"] = o.jwt;
  const init: RequestInit = o.form ? { method: "POST", body: new URLSearchParams(o.form), headers, redirect: "manual" } : { headers, redirect: "manual" };
  const ctx = createExecutionContext();
  const res = await app.request(`${ORIGIN}${path}`, init, accessEnv, ctx);
  await waitOnExecutionContext(ctx);
  return { res, html: await res.text() };
}

/** The CSRF token a signed-in page hands its forms. */
async function csrfFor(jwt: string): Promise<string> {
  const { html } = await send("/alerts", { jwt });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error("no CSRF field on /alerts");
  return csrf;
}

const activity = async () => (await env.DB.prepare(`SELECT kind, actor, surface FROM alert_activity WHERE action_id = ?`).bind(ALERT).all<Record<string, string>>()).results;

beforeAll(async () => {
  team = await FakeAccessTeam.create("https://tenure-test.cloudflareaccess.com", "aud-tenure-dashboard-0123456789abcdef");
  server = setupServer(team.certs());
  server.listen({ onUnhandledRequest: "error" });
  accessEnv = {
    ...env,
    CF_ACCESS_TEAM_DOMAIN: team.teamDomain,
    CF_ACCESS_AUD: team.audience,
    TENURE_ROLES: JSON.stringify({ admins: [ADMIN], csms: ["*@acme.example"] }),
  };
  await seedCustomer("acc_acme", "Acme");
  // A dead alert has no Slack message to rewrite, so acknowledging it queues nothing outbound.
  await seedAlert(ALERT, "acc_acme", "payment_failed", "Acme payment failed", { status: "dead" });
});

afterAll(() => server.close());

describe("sign-in through Cloudflare Access", () => {
  it("a valid token opens the page, and the header names the person and their role", async () => {
    const { res, html } = await send("/alerts", { jwt: await team.token(CSM) });
    expect(res.status).toBe(200);
    expect(html).toContain(ALERT);
    expect(html).toMatch(new RegExp(`${CSM} <span class="badge role">csm</span>`));
  });

  it("reads the CF_Authorization cookie when the header is absent", async () => {
    const { res, html } = await send("/", { jwt: await team.token(VIEWER), cookie: true });
    expect(res.status).toBe(200);
    expect(html).toContain(`${VIEWER} <span class="badge role">viewer</span>`);
  });

  it("refuses an expired, foreign-audience, foreign-issuer, forged or missing token with 401 and no content", async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    const cases: [string, string | undefined, RegExp][] = [
      ["expired", await team.token(ADMIN, { expiresAt: past }), /expired/],
      ["wrong audience", await team.token(ADMIN, { aud: "aud-of-another-app" }), /its aud claim does not match/],
      ["wrong issuer", await team.token(ADMIN, { iss: "https://evil.cloudflareaccess.com" }), /its iss claim does not match/],
      ["bad signature", await team.token(ADMIN, { key: await strangerKey() }), /not valid/],
      ["garbage", "not.a.jwt", /not valid/],
      ["service token", await team.token(null), /names no person/],
      ["missing", undefined, /No Cloudflare Access token/],
    ];
    for (const [name, jwt, reason] of cases) {
      for (const path of ["/", "/alerts", "/outbox"]) {
        const { res, html } = await send(path, { jwt });
        expect(res.status, `${name} ${path}`).toBe(401);
        expect(html, `${name} ${path}`).toMatch(reason);
        expect(html, `${name} ${path}`).not.toContain(ALERT);
        expect(html, `${name} ${path}`).not.toContain('name="_csrf"');
      }
    }
  });

  it("has no token login while Access is on", async () => {
    const { res } = await send("/login", { form: { token: String(env.ADMIN_TOKEN) } });
    expect(res.status).toBe(404);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a form with the CSRF token of another person's token is refused", async () => {
    const csrf = await csrfFor(await team.token(ADMIN));
    const { res } = await send(`/alerts/${ALERT}/note`, { jwt: await team.token(CSM), form: { _csrf: csrf, note: "hi" } });
    expect(res.status).toBe(403);
  });
});

describe("roles on every form that changes something", () => {
  it("a viewer cannot acknowledge: 403 naming the role, and nothing is recorded", async () => {
    const jwt = await team.token(VIEWER);
    const before = await activity();
    const { res, html } = await send(`/alerts/${ALERT}/acknowledge`, { jwt, form: { _csrf: await csrfFor(jwt) } });
    expect(res.status).toBe(403);
    expect(html).toContain("This needs the csm role; you are signed in as viewer.");
    expect(await activity()).toEqual(before);
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM alert_states WHERE action_id = ?`).bind(ALERT).first("n")).toBe(0);
  });

  it("a CSM acknowledges, assigns and notes; the activity names them by email", async () => {
    const jwt = await team.token(CSM.toUpperCase());
    const csrf = await csrfFor(jwt);
    expect((await send(`/alerts/${ALERT}/acknowledge`, { jwt, form: { _csrf: csrf } })).res.status).toBe(303);
    expect((await send(`/alerts/${ALERT}/assign`, { jwt, form: { _csrf: csrf, owner: ADMIN } })).res.status).toBe(303);
    expect((await send(`/alerts/${ALERT}/note`, { jwt, form: { _csrf: csrf, note: "Called them." } })).res.status).toBe(303);
    expect(await activity()).toEqual(
      expect.arrayContaining([
        { kind: "acknowledged", actor: CSM, surface: "dashboard" },
        { kind: "assigned", actor: CSM, surface: "dashboard" },
        { kind: "note", actor: CSM, surface: "dashboard" },
      ]),
    );
    expect(await env.DB.prepare(`SELECT by_user FROM alert_states WHERE action_id = ?`).bind(ALERT).first("by_user")).toBe(CSM);
  });

  // A window long before any action, so the replay finds nothing and sends nothing.
  const replayForm = { from: "2001-01-01T00:00", to: "2001-01-02T00:00" };

  it("a CSM cannot replay the outbox; an admin can", async () => {
    const csm = await team.token(CSM);
    const refused = await send("/outbox/replay", { jwt: csm, form: { _csrf: await csrfFor(csm), ...replayForm } });
    expect(refused.res.status).toBe(403);
    expect(refused.html).toContain("This needs the admin role; you are signed in as csm.");
    const admin = await team.token(ADMIN);
    const ok = await send("/outbox/replay", { jwt: admin, form: { _csrf: await csrfFor(admin), ...replayForm } });
    expect(ok.res.status).toBe(303);
    expect(ok.res.headers.get("location")).toContain("notice=replayed");
  });

  it("an admin's dashboard actions work without any ADMIN_TOKEN, while the API itself stays closed", async () => {
    const saved = accessEnv;
    accessEnv = { ...accessEnv, ADMIN_TOKEN: undefined } as typeof env;
    try {
      const admin = await team.token(ADMIN);
      const ok = await send("/outbox/replay", { jwt: admin, form: { _csrf: await csrfFor(admin), ...replayForm } });
      expect(ok.res.status).toBe(303);
      expect(ok.res.headers.get("location")).toContain("notice=replayed");
      const ctx = createExecutionContext();
      const api = await app.request(`${ORIGIN}/api/actions/replay`, { method: "POST", body: "{}", headers: { "content-type": "application/json", "cf-access-jwt-assertion": admin } }, accessEnv, ctx);
      await waitOnExecutionContext(ctx);
      expect(api.status).toBe(503);
    } finally {
      accessEnv = saved;
    }
  });

  it("every dashboard POST but logout refuses a viewer", async () => {
    const posts = [...new Set(dashboard(app).routes.filter((r) => r.method === "POST").map((r) => r.path))].filter((p) => p !== "/login" && p !== "/logout");
    expect(posts).toEqual(expect.arrayContaining(["/outbox/replay", "/outbox/:id/retry", "/model/backtest", "/alerts/:id/acknowledge", "/alerts/:id/note"]));
    const jwt = await team.token(VIEWER);
    const csrf = await csrfFor(jwt);
    for (const path of posts) {
      const { res } = await send(path.replace(":id", ALERT), { jwt, form: { _csrf: csrf } });
      expect(res.status, path).toBe(403);
    }
  });

  it("logout hands over to Access's own logout", async () => {
    const jwt = await team.token(VIEWER);
    const { res } = await send("/logout", { jwt, form: { _csrf: await csrfFor(jwt) } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/cdn-cgi/access/logout");
  });
});
