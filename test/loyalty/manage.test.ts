import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { FakeAccessTeam } from "../fakes/access";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { api, scenario } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
const { payingCustomer } = scenario(fakes.stripe);

const balanceOf = async (id: string) => (await api("GET", `/loyalty/customers/${id}`)).body.points as number;
const grant = async (id: string, n: number, tag: string) => {
  for (let i = 0; i < n; i++) expect((await api("POST", "/loyalty/events", { customerId: id, kind: "review_submitted", ref: `${tag}-${i}` })).status).toBe(201);
};

let M: { cus: string; id: string };
beforeAll(async () => {
  M = await payingCustomer("mu", "mu.example");
});

describe("balance adjustments (admin API)", () => {
  it("adds points with a reason, once per requestId, and audits the token as the actor", async () => {
    const first = await api("POST", "/loyalty/adjustments", { customerId: M.id, points: 250, reason: "Goodwill after the outage", requestId: "adj-1" });
    expect(first).toMatchObject({ status: 201, body: { points: 250, balance: 250, actor: "admin token", reason: "Goodwill after the outage" } });
    expect(await api("POST", "/loyalty/adjustments", { customerId: M.id, points: 250, reason: "Goodwill after the outage", requestId: "adj-1" })).toMatchObject({ status: 200, body: { balance: 250 } });
    expect(await api("POST", "/loyalty/adjustments", { customerId: M.id, points: 999, reason: "Goodwill after the outage", requestId: "adj-1" })).toMatchObject({ status: 409, body: { error: { code: "request_id_reused" } } });
    const named = await api("POST", "/loyalty/adjustments", { customerId: M.id, points: 50, reason: "Event bonus", requestId: "adj-2", actor: "Dana" });
    expect(named.body.actor).toBe("Dana via admin token");
    expect(await balanceOf(M.id)).toBe(300);
  });

  it("never takes the balance below zero, however many adjustments run at once", async () => {
    const takes = await Promise.all([1, 2, 3, 4, 5].map((i) => api("POST", "/loyalty/adjustments", { customerId: M.id, points: -100, reason: "Correction", requestId: `neg-${i}` })));
    expect(takes.map((t) => t.status).sort()).toEqual([201, 201, 201, 409, 409]);
    expect(takes.find((t) => t.status === 409)!.body.error).toMatchObject({ code: "balance_below_zero", balance: 0 });
    expect(await balanceOf(M.id)).toBe(0);
    const audited = (await api("GET", `/loyalty/audit?customerId=${M.id}`)).body.audit as { kind: string; points: number }[];
    expect(audited.filter((a) => a.kind === "adjust").map((a) => a.points).sort((a, b) => a - b)).toEqual([-100, -100, -100, 50, 250]);
  });

  it("refuses bad input with 400 and an unknown customer with 404, changing nothing", async () => {
    for (const bad of [
      { customerId: M.id, points: 0, reason: "x", requestId: "b1" },
      { customerId: M.id, points: 1.5, reason: "x", requestId: "b2" },
      { customerId: M.id, points: 10, reason: "  ", requestId: "b3" },
      { customerId: M.id, points: 10, reason: "x", requestId: "has space" },
      { customerId: M.id, points: 10, reason: "x" },
    ]) expect((await api("POST", "/loyalty/adjustments", bad)).status).toBe(400);
    expect((await api("POST", "/loyalty/adjustments", { customerId: "cu_nobody", points: 10, reason: "x", requestId: "b4" })).status).toBe(404);
    expect(await balanceOf(M.id)).toBe(0);
  });
});

describe("redeeming on a member's behalf", () => {
  it("spends the points and credits Stripe through the same atomic redemption, audited, refusing overdraft", async () => {
    await grant(M.id, 6, "rd");
    const r = await api("POST", "/loyalty/redemptions", { customerId: M.id, rewardId: "usd-5", requestId: "ops-1", actor: "Eve" });
    expect(r).toMatchObject({ status: 201, body: { rewardId: "usd-5", points: 500, credit: { amount: 500, currency: "usd" }, balance: 100 } });
    expect((await api("POST", "/loyalty/redemptions", { customerId: M.id, rewardId: "usd-5", requestId: "ops-1" })).status).toBe(200);
    expect(await api("POST", "/loyalty/redemptions", { customerId: M.id, rewardId: "usd-5", requestId: "ops-2" })).toMatchObject({ status: 409, body: { error: { code: "insufficient_points" } } });
    await drain();
    expect(fakes.stripe.state.balanceTransactions.filter((t) => t.customer === M.cus).map((t) => t.amount)).toEqual([-500]);
    const audit = (await api("GET", `/loyalty/audit?customerId=${M.id}`)).body.audit as { kind: string; actor: string; points: number; detail: string }[];
    expect(audit.filter((a) => a.kind === "redeem")).toEqual([expect.objectContaining({ actor: "Eve via admin token", points: -500, detail: "usd-5" })]);
  });

  it("the funnels count enrolled members, codes, clicks, sign-ups, rewards, and redemptions per reward", async () => {
    const code = (await api("POST", "/referrals/codes", { customerId: M.id })).body.code as string;
    await app.request(`https://tenure.example.com/r/${code}`, { redirect: "manual" }, env, createExecutionContext());
    const f = (await api("GET", "/loyalty/funnels")).body;
    expect(f.referral).toMatchObject({ enrolled: 1, withCode: 1, clicks: 1, signups: 0, rewarded: 0 });
    expect(f.redemptions).toEqual([{ rewardId: "usd-5", count: 1, points: 500 }]);
  });
});

describe("the Loyalty page behind Cloudflare Access", () => {
  const ADMIN = "ana@acme.example";
  const CSM = "bo@acme.example";
  let team: FakeAccessTeam;
  let accessEnv: typeof env;
  const send = async (path: string, o: { jwt: string; form?: Record<string, string> }) => {
    const headers = { "cf-access-jwt-assertion": o.jwt };
    const init: RequestInit = o.form ? { method: "POST", body: new URLSearchParams(o.form), headers, redirect: "manual" } : { headers, redirect: "manual" };
    const ctx = createExecutionContext();
    const res = await app.request(`https://tenure.example.com${path}`, init, accessEnv, ctx);
    await waitOnExecutionContext(ctx);
    return { res, html: await res.text() };
  };
  const formFields = (html: string) => ({
    csrf: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "",
    requestId: /name="requestId" value="(adj-[^"]+)"/.exec(html)?.[1] ?? "",
  });

  beforeAll(async () => {
    team = await FakeAccessTeam.create("https://tenure-test.cloudflareaccess.com", "aud-tenure-dashboard-0123456789abcdef");
    server.use(team.certs());
    accessEnv = { ...env, CF_ACCESS_TEAM_DOMAIN: team.teamDomain, CF_ACCESS_AUD: team.audience, TENURE_ROLES: JSON.stringify({ admins: [ADMIN], csms: ["*@acme.example"] }) };
  });

  it("an admin adjusts a balance from the form; the audit names their email and shows the reason as text", async () => {
    const jwt = await team.token(ADMIN);
    const page = await send("/loyalty", { jwt });
    expect(page.res.status).toBe(200);
    expect(page.html).toContain("Referral funnel");
    const { csrf, requestId } = formFields(page.html);
    const form = { _csrf: csrf, requestId, customer: M.id, points: "40", reason: "<script>alert(1)</script>" };
    const posted = await send("/loyalty/adjust", { jwt, form });
    expect(posted.res.status).toBe(303);
    expect(posted.res.headers.get("location")).toBe("/loyalty?notice=adjusted");
    // The same form posted again (a double click) acts once.
    await send("/loyalty/adjust", { jwt, form });
    expect(await balanceOf(M.id)).toBe(140);
    const after = await send("/loyalty?notice=adjusted", { jwt });
    expect(after.html).toContain("Balance adjusted");
    expect(after.html).toContain(ADMIN);
    expect(after.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(after.html).not.toContain("<script>alert(1)</script>");
  });

  it("a non-admin sees the numbers but no forms, and a post is refused", async () => {
    const jwt = await team.token(CSM);
    const page = await send("/loyalty", { jwt });
    expect(page.html).toContain("Referral funnel");
    expect(page.html).not.toContain('action="/loyalty/adjust"');
    const csrf = formFields(page.html).csrf;
    const posted = await send("/loyalty/adjust", { jwt, form: { _csrf: csrf, requestId: "x-1", customer: M.id, points: "1000", reason: "mine" } });
    expect(posted.res.status).toBe(403);
    expect(await balanceOf(M.id)).toBe(140);
  });
});
