import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { login, ORIGIN, post } from "../dashboard/seed";
import { drain } from "../support/drain";
import { customerOf, hubspot, hubspotCompany, stripe, stripeCustomer, zendesk, zendeskTicket } from "./sources";

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

let session = { cookie: "", csrf: "" };
beforeAll(async () => {
  session = await login();
});
const page = (path: string) => SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: session.cookie }, redirect: "manual" });

describe("dashboard: merge, unlink and unmatched events", () => {
  it("merges another customer in from the customer page, after a confirmation", async () => {
    await stripe(stripeCustomer("cus_dash_a", "a@gmail.com", {}));
    await hubspot(hubspotCompany(74001, { name: "Dash Bee", domain: "dash-b.example" }));
    await drain();
    const [a, b] = [(await customerOf("stripe", "cus_dash_a"))!, (await customerOf("hubspot", "74001"))!];

    const html = await (await page(`/customers/${a}`)).text();
    expect(html).toContain("Identity (admin)");
    expect(html).toContain(`action="/customers/${a}/merge"`);
    expect(html).toContain('aria-label="Unlink stripe cus_dash_a"');

    const unconfirmed = await post(`/customers/${a}/merge`, session.cookie, { _csrf: session.csrf, from: b });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain("Tick the confirmation to merge.");
    expect(await customerOf("hubspot", "74001")).toBe(b);

    const self = await post(`/customers/${a}/merge`, session.cookie, { _csrf: session.csrf, from: a, confirm: "yes" });
    expect(self.status).toBe(409);
    expect(await self.text()).toContain("cannot be merged into itself");

    const res = await post(`/customers/${a}/merge`, session.cookie, { _csrf: session.csrf, from: b, confirm: "yes" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/customers/${a}`);
    expect(await customerOf("hubspot", "74001")).toBe(a);
    const old = await page(`/customers/${b}`);
    expect(old.status).toBe(308);
    expect(old.headers.get("location")).toBe(`/customers/${a}`);
    const merged = await (await page(`/customers/${a}`)).text();
    expect(merged).toContain("hubspot: 74001");

    // Without the session's CSRF token nothing happens.
    expect((await post(`/customers/${a}/merge`, session.cookie, { from: b, confirm: "yes" })).status).toBe(403);
  });

  it("unlinks one id with its button", async () => {
    const a = (await customerOf("stripe", "cus_dash_a"))!;
    const res = await post(`/customers/${a}/unlink`, session.cookie, { _csrf: session.csrf, kind: "domain", value: "dash-b.example" });
    expect(res.status).toBe(303);
    expect(await customerOf("domain", "dash-b.example")).toBeNull();
    const missing = await post(`/customers/${a}/unlink`, session.cookie, { _csrf: session.csrf, kind: "domain", value: "dash-b.example" });
    expect(missing.status).toBe(404);
  });

  it("lists unmatched events and links one to a customer, which applies it", async () => {
    await zendesk(zendeskTicket("74101", "ops@nobody-yet.example"));
    await drain();
    const html = await (await page("/unmatched")).text();
    expect(html).toContain("Unmatched events");
    expect(html).toContain('<option value="domain:nobody-yet.example">');
    expect(html).toContain('href="/unmatched"');

    const a = (await customerOf("stripe", "cus_dash_a"))!;
    const bad = await post("/unmatched/link", session.cookie, { _csrf: session.csrf, key: "contact:x", customer: a });
    expect(bad.status).toBe(400);
    const res = await post("/unmatched/link", session.cookie, { _csrf: session.csrf, key: "domain:nobody-yet.example", customer: a });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/unmatched?notice=linked");
    await drain();
    const state = JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(a).first<{ state: string }>())!.state);
    expect(Object.keys(state.support.tickets)).toContain("zendesk:74101");
    expect(await (await page("/unmatched?notice=linked")).text()).toContain("Linked; the events waiting for that key are being applied.");
  });
});
