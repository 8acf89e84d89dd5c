import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { setupServer, type SetupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { saveOwnerStmt } from "../../src/store/owners";
import { FakeAccessTeam } from "../fakes/access";
import { ORIGIN, login } from "./seed";

const DAY = 86_400_000;
const DANA = "dana.scully@acme.example";
const FOX = "fox@acme.example";

let team: FakeAccessTeam;
let server: SetupServer;
let accessEnv: typeof env;

/** [id, name, score, band, stage, HubSpot owner id, renewal in days] */
const accounts: [string, string, number, string, string, string | null, number | null][] = [
  ["my_red", "Dana Red", 30, "red", "renewal", "71002", 20],
  ["my_yellow", "Dana Yellow", 60, "yellow", "loyalty", "71002", null],
  ["my_gone", "Dana Gone", 10, "red", "churned", "71002", null],
  ["fox_red", "Fox Red", 20, "red", "renewal", "71003", 25],
  ["nobody_red", "Orphan Red", 25, "red", "onboarding", null, null],
];

async function get(path: string, jwt: string) {
  const ctx = createExecutionContext();
  const res = await app.request(`${ORIGIN}${path}`, { headers: { "cf-access-jwt-assertion": jwt } }, accessEnv, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  return res.text();
}

const listed = (html: string) => [...html.matchAll(/<tr data-customer="([^"]+)">/g)].map((m) => m[1]);

beforeAll(async () => {
  team = await FakeAccessTeam.create("https://tenure-mine.cloudflareaccess.com", "aud-tenure-mine-0123456789abcdef");
  server = setupServer(team.certs());
  server.listen({ onUnhandledRequest: "error" });
  accessEnv = { ...env, CF_ACCESS_TEAM_DOMAIN: team.teamDomain, CF_ACCESS_AUD: team.audience, TENURE_ROLES: JSON.stringify({ csms: ["*@acme.example"] }) };
  const now = Date.now();
  await env.DB.batch([
    ...accounts.map(([id, name, score, band, stage, owner, renewalIn]) =>
      env.DB.prepare(
        `INSERT INTO customers (id, name, domain, state, score, band, stage, stage_since, health, mrr, currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1000, 'usd', ?, ?)`,
      ).bind(
        id,
        name,
        `${id}.example`,
        JSON.stringify({ crm: { properties: owner ? { hubspot_owner_id: { value: owner, at: now } } : {} } }),
        score,
        band,
        stage,
        now - 5 * DAY,
        JSON.stringify({ score, coverage: 0.9, drivers: [], snapshot: { renewalDate: renewalIn == null ? null : now + renewalIn * DAY } }),
        now,
        now,
      ),
    ),
    // HubSpot's owners list gives the email in any case; it is stored lower-cased.
    saveOwnerStmt(env.DB, { id: "71002", name: "Dana Scully", email: "Dana.Scully@ACME.example" }, now),
    saveOwnerStmt(env.DB, { id: "71003", name: "Fox Mulder", email: FOX }, now),
  ]);
});

afterAll(() => server.close());

describe("my accounts", () => {
  it("keeps every list to the accounts whose HubSpot owner is the signed-in person, names included", async () => {
    const html = await get("/?mine=1", await team.token(DANA));
    expect(listed(html)).toEqual(["my_red", "my_yellow", "my_red", "my_gone"]);
    expect(html).toContain(`data-mine="${DANA}"`);
    expect(html).toContain("Dana Scully");
    expect(html).not.toContain("Fox Red");
    expect(html).toMatch(/<strong aria-current="page">My accounts<\/strong>/);
  });

  it("search and paging keep the filter", async () => {
    const html = await get("/?mine=1&q=red", await team.token(DANA));
    expect(listed(html)).toEqual(["my_red"]);
    expect(html).toContain('<input type="hidden" name="mine" value="1"/>');
    const all = await get("/?q=red", await team.token(DANA));
    expect(listed(all).sort()).toEqual(["fox_red", "my_red", "nobody_red"]);
  });

  it("someone who owns nothing in HubSpot sees empty lists, not everyone's", async () => {
    const html = await get("/?mine=1", await team.token("new.csm@acme.example"));
    expect(listed(html)).toEqual([]);
    expect(html).toContain("No live account is red or yellow.");
  });

  it("without the filter everyone sees every account", async () => {
    const html = await get("/", await team.token(FOX));
    expect(listed(html)).toEqual(expect.arrayContaining(["my_red", "fox_red", "nobody_red", "my_gone"]));
  });

  it("with the admin token there is no person to match: the page says so and shows every account", async () => {
    const { cookie } = await login();
    const res = await app.request(`${ORIGIN}/?mine=1`, { headers: { cookie } }, env);
    const html = await res.text();
    expect(html).toContain("the admin token has no email");
    expect(listed(html)).toEqual(expect.arrayContaining(["my_red", "fox_red", "nobody_red"]));
  });
});
