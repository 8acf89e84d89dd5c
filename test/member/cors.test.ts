import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { scenario } from "../loyalty/support";
import { BASE, HOST_ORIGIN, memberCall, tokenFor } from "./support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
const { payingCustomer } = scenario(fakes.stripe);

let token: string;
beforeAll(async () => {
  const A = await payingCustomer("corsalpha", "corsalpha.example");
  token = await tokenFor(A.id);
});

const preflight = (path: string, origin = HOST_ORIGIN, fetcher: (r: Request) => Promise<Response> = (r) => SELF.fetch(r)) =>
  fetcher(new Request(`${BASE}${path}`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } }));

describe("CORS and CSP on member routes only", () => {
  it("member routes answer a preflight and carry CORS, CSP and no-store, without allowing credentials", async () => {
    const pre = await preflight("/member/redemptions");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();

    const me = await memberCall("GET", "/me", token);
    expect(me.status).toBe(200);
    expect(me.headers.get("access-control-allow-origin")).toBe("*");
    expect(me.headers.get("access-control-allow-credentials")).toBeNull();
    expect(me.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(me.headers.get("cache-control")).toBe("no-store");
    expect(me.headers.get("set-cookie")).toBeNull();
  });

  it("no other route answers cross-origin", async () => {
    const api = await SELF.fetch(`${BASE}/api/customers`, { headers: { origin: HOST_ORIGIN, authorization: `Bearer ${env.ADMIN_TOKEN as string}` } });
    expect(api.status).toBe(200);
    expect(api.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await preflight("/api/customers");
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    for (const path of ["/health", "/openapi.json", "/webhooks/stripe"]) {
      const res = await SELF.fetch(`${BASE}${path}`, { headers: { origin: HOST_ORIGIN } });
      expect(res.headers.get("access-control-allow-origin"), path).toBeNull();
    }
  });

  it("MEMBER_ALLOWED_ORIGINS: only listed origins are allowed, and the answer varies by Origin", async () => {
    const limited = { ...env, MEMBER_ALLOWED_ORIGINS: "https://app.customer.example, https://www.customer.example/" };
    const call = async (req: Request) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(req, limited, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const ok = await preflight("/member/me", "https://www.customer.example", call);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://www.customer.example");
    expect(ok.headers.get("vary")).toContain("Origin");
    const other = await preflight("/member/me", "https://evil.example", call);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const get = await call(new Request(`${BASE}/member/me`, { headers: { origin: "https://evil.example", authorization: `Bearer ${token}` } }));
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("GET /widget.js", () => {
  it("serves the web component as JavaScript another origin may load", async () => {
    const res = await SELF.fetch(`${BASE}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const js = await res.text();
    expect(js).toContain('customElements.define("tenure-rewards"');
    // It parses as a script, and builds nodes from text only.
    expect(() => new Function(js)).not.toThrow();
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});
