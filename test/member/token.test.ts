import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { SignJWT, base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { loadConfig } from "../../src/env";
import { scenario } from "../loyalty/support";
import { BASE, HOST_ORIGIN, MEMBER_SECRET, memberCall, mintToken, tokenFor } from "./support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
const { payingCustomer } = scenario(fakes.stripe);

let A: { cus: string; id: string };
beforeAll(async () => {
  A = await payingCustomer("tokacct", "tokacct.example", { metadata: { hubspot_company_id: "9001" } });
});

const now = () => Math.floor(Date.now() / 1000);
const unsigned = (claims: object, header: object = { alg: "none", typ: "JWT" }) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`;

/** Flips one character of the payload, keeping it valid base64url. */
function tamper(token: string): string {
  const [h, p, s] = token.split(".");
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
  claims.account_id = "cu_someone_else";
  return `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
}

describe("member token verification", () => {
  const cases: [string, () => Promise<string | null>, number, string?][] = [
    ["valid, account_id", () => tokenFor(A.id), 200],
    ["valid, stripe_customer_id", () => mintToken({ stripe_customer_id: A.cus }), 200],
    ["valid, hubspot_company_id", () => mintToken({ hubspot_company_id: "9001" }), 200],
    ["valid, exp just under 24 h ahead", () => tokenFor(A.id, { expiresIn: 24 * 3600 - 5 }), 200],
    ["no Authorization header", async () => null, 401, "missing"],
    ["expired", () => tokenFor(A.id, { expiresIn: -60 }), 401, "expired"],
    ["exp more than 24 h ahead", () => tokenFor(A.id, { expiresIn: 24 * 3600 + 120 }), 401, "too_long_lived"],
    ["tampered payload", async () => tamper(await tokenFor(A.id)), 401, "bad_signature"],
    ["wrong secret", () => tokenFor(A.id, { secret: "another-secret-0123456789abcdef" }), 401, "bad_signature"],
    ["alg none", async () => unsigned({ sub: "u", account_id: A.id, exp: now() + 600 }), 401, "wrong_algorithm"],
    ["alg HS512 with the right secret", () => tokenFor(A.id, { alg: "HS512" }), 401, "wrong_algorithm"],
    ["HS256 header over an HS384 signature", async () => {
      const t = await tokenFor(A.id, { alg: "HS384" });
      return `${base64url.encode(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${t.split(".").slice(1).join(".")}`;
    }, 401, "bad_signature"],
    ["not a JWT", async () => "not.a.jwt", 401, "malformed"],
    ["no exp", async () => new SignJWT({ account_id: A.id }).setProtectedHeader({ alg: "HS256" }).setSubject("u").sign(new TextEncoder().encode(MEMBER_SECRET)), 401, "invalid_claims"],
    ["no sub", async () => new SignJWT({ account_id: A.id }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now() + 600).sign(new TextEncoder().encode(MEMBER_SECRET)), 401, "invalid_claims"],
    ["no account claim", () => mintToken({}), 401, "no_account_claim"],
    ["two account claims", () => mintToken({ account_id: A.id, stripe_customer_id: A.cus }), 401, "several_account_claims"],
    ["unknown account", () => tokenFor("cu_nobody"), 401, "unknown_account"],
    ["unknown Stripe customer", () => mintToken({ stripe_customer_id: "cus_nobody" }), 401, "unknown_account"],
  ];

  for (const [name, make, status, reason] of cases) {
    it(`${name} → ${status}`, async () => {
      const res = await memberCall("GET", "/me", await make());
      expect(res.status).toBe(status);
      if (status === 200) {
        expect(res.body.account).toEqual({ id: A.id, name: "tokacct" });
      } else {
        expect(res.body.error).toMatchObject({ code: "invalid_member_token", reason });
        expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
        expect(JSON.stringify(res.body)).not.toContain(A.id);
        // The widget on another origin can read the refusal.
        expect(res.headers.get("access-control-allow-origin")).toBe("*");
      }
    });
  }

  it("a Bearer ADMIN_TOKEN is not a member token", async () => {
    const res = await memberCall("GET", "/me", env.ADMIN_TOKEN as string);
    expect(res.status).toBe(401);
  });
});

describe("without TENURE_MEMBER_SECRET", () => {
  const call = async (path: string, init: RequestInit = {}) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, init), { ...env, TENURE_MEMBER_SECRET: "" }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };

  it("/member/* answers 503 saying member access is not configured, with CORS so the widget can tell", async () => {
    const res = await call("/member/me", { headers: { authorization: `Bearer ${await tokenFor(A.id)}`, origin: HOST_ORIGIN } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "member_access_disabled", message: expect.stringContaining("TENURE_MEMBER_SECRET") } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("/health says so", async () => {
    const off = await (await call("/health")).json<Record<string, unknown>>();
    expect(off.member).toBe("disabled: set TENURE_MEMBER_SECRET");
    const on = await (await SELF.fetch(`${BASE}/health`)).json<Record<string, unknown>>();
    expect(on.member).toBe("enabled");
  });
});
