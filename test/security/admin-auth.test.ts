import { env, SELF } from "cloudflare:test";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { ADMIN } from "../support/drain";

/**
 * Every route of the app, read from the router itself, so a route added later is covered without
 * touching this file: /api answers 401 to anything but `Authorization: Bearer <ADMIN_TOKEN>`, and
 * everything else is either deliberately public or refuses an anonymous request.
 */
const BASE = "https://tenure.example.com";
const TOKEN = env.ADMIN_TOKEN as string;

/**
 * Routes that answer anonymous requests on purpose: webhooks and Slack authenticate by signature, the widget's
 * script holds no data (its member routes need a member token), and a referral link is meant to be shared.
 */
const PUBLIC = new Set(["GET /health", "GET /openapi.json", "GET /", "POST /login", "POST /webhooks/:source", "POST /slack/events", "GET /widget.js", "GET /r/:code"]);

const routes = [...new Map(app.routes.filter((r) => r.method !== "ALL").map((r) => [`${r.method} ${r.path}`, r])).values()];
const apiRoutes = routes.filter((r) => r.path.startsWith("/api/") || r.path === "/api");
const otherRoutes = routes.filter((r) => !apiRoutes.includes(r) && !PUBLIC.has(`${r.method} ${r.path}`));

// Routes reached with the right token may call a vendor (setup, backfill): every vendor is down here.
const server = setupServer(http.all("*", () => HttpResponse.json({ message: "unavailable" }, { status: 503 })));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const concrete = (path: string) => path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, "x-1");

// Each request comes from its own address, so the failed-token throttle (test/security/auth-throttle.test.ts)
// does not turn this file's many wrong tokens into 429s.
let client = 0;
const nextClient = () => (client++, `10.${(client >> 8) & 255}.${client & 255}.1`);

function call(method: string, path: string, headers: Record<string, string> = {}) {
  const body = method === "GET" || method === "HEAD" ? undefined : "{}";
  const base = { "content-type": "application/json", "cf-connecting-ip": nextClient() };
  return SELF.fetch(`${BASE}${path}`, { method, body, headers: { ...base, ...headers }, redirect: "manual" });
}

/** Same length as the real token, one character different: a prefix or length check alone would pass it. */
const nearMiss = TOKEN.slice(0, -1) + (TOKEN.endsWith("0") ? "1" : "0");

const wrongCredentials: [string, Record<string, string>, string?][] = [
  ["no Authorization header", {}],
  ["an empty bearer token", { authorization: "Bearer " }],
  ["a wrong token of the same length", { authorization: `Bearer ${nearMiss}` }],
  ["the token with a suffix", { authorization: `Bearer ${TOKEN}x` }],
  ["a prefix of the token", { authorization: `Bearer ${TOKEN.slice(0, 8)}` }],
  ["the token under the Basic scheme", { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` }],
  ["the token without a scheme", { authorization: TOKEN }],
  ["the token in a query parameter", {}, `token=${encodeURIComponent(TOKEN)}&access_token=${encodeURIComponent(TOKEN)}`],
  ["the token in a cookie", { cookie: `token=${TOKEN}; admin_token=${TOKEN}` }],
];

describe("admin API: every /api route needs the admin token", () => {
  it("finds the admin routes (the router lists them)", () => {
    expect(apiRoutes.length).toBeGreaterThanOrEqual(8);
  });

  for (const r of apiRoutes) {
    const path = concrete(r.path);
    it(`${r.method} ${r.path}: 401 without the token, with a wrong one, or sent any other way`, async () => {
      for (const [what, headers, query] of wrongCredentials) {
        const res = await call(r.method, query ? `${path}?${query}` : path, headers);
        expect(res.status, `${r.method} ${path} with ${what}`).toBe(401);
        expect((await res.json<{ error: { code: string } }>()).error.code).toBe("unauthorized");
      }
    });

    it(`${r.method} ${r.path}: the right token gets past the check`, async () => {
      const res = await call(r.method, path, ADMIN);
      expect(res.status, `${r.method} ${path}`).not.toBe(401);
      await res.arrayBuffer();
    });
  }

  it("refuses path variants that could dodge a prefix-mounted check", async () => {
    for (const path of ["/api//customers", "/api/./customers", "/api/%63ustomers", "/api/customers/", "/API/customers", "/api/customers;x", "/api/customers%2F..%2Fevents"]) {
      const res = await SELF.fetch(`${BASE}${path}`);
      expect(res.status, path).not.toBe(200);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      await res.arrayBuffer();
    }
  });
});

describe("every other route is public on purpose or refuses anonymous requests", () => {
  for (const r of otherRoutes) {
    it(`${r.method} ${r.path}`, async () => {
      const res = await call(r.method, concrete(r.path));
      // A page redirects to the login page; a form or API answers 401/403.
      const refused = res.status === 401 || res.status === 403 || (res.status >= 300 && res.status < 400 && res.headers.get("location") === "/");
      expect(refused, `${r.method} ${r.path} answered ${res.status} to an anonymous request`).toBe(true);
      await res.arrayBuffer();
    });
  }

  it("refuses a forged dashboard session cookie", async () => {
    for (const r of otherRoutes.filter((x) => x.method === "GET")) {
      const res = await SELF.fetch(`${BASE}${concrete(r.path)}`, { headers: { cookie: `__Host-tenure_session=${btoa("admin")}.AAAA; tenure_session=${"A".repeat(43)}; session=1` }, redirect: "manual" });
      expect(res.status, r.path).not.toBe(200);
      await res.arrayBuffer();
    }
  });
});
