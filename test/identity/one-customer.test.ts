import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { fixture } from "../support/fixtures";
import { ADMIN, drain } from "../support/drain";
import { signDelighted } from "../support/sign/delighted";
import { signHubspot } from "../support/sign/hubspot";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";
import { signZendesk } from "../support/sign/zendesk";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";

// Alerts and HubSpot writes raised on the way are delivered to the vendor fakes.
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const BASE = "https://tenure.example.com";
const json = (v: unknown) => JSON.stringify(v);

async function send(source: string, body: string, sign: (url: string) => Promise<Record<string, string>>) {
  const url = `${BASE}/webhooks/${source}`;
  const res = await SELF.fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...(await sign(url)) } });
  expect(res.status, `${source}: ${await res.clone().text()}`).toBe(200);
}

const hubspot = (body: string) => send("hubspot", body, (url) => signHubspot("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", body, { now: Date.now(), method: "POST", url }));
const stripe = (body: string) => send("stripe", body, () => signStripe(body));
const zendesk = (body: string) => send("zendesk", body, () => signZendesk("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", body, { now: Date.now(), method: "POST", url: "" }));
const segment = (body: string) => send("segment", body, () => signSegment("segment_secret", body));
const delighted = (body: string) => send("delighted", body, () => signDelighted("delighted_secret", body));

function zendeskTicket(id: string, email: string, priority: string) {
  return json({ ticket: { id, status: "Open", priority, tags: "export bug", title: "Exports time out", requester_email: email, created_at: "2026-11-20T07:00Z", updated_at: "2026-11-20T07:00Z" } });
}

async function customerIds(): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT id FROM customers`).all<{ id: string }>();
  return results.map((r) => r.id);
}

describe("identity: every source's facts land on one customer", () => {
  it("HubSpot company, Stripe customer by domain, Zendesk tickets, Segment groupId and an NPS detractor", async () => {
    await hubspot(fixture("hubspot", "company.creation"));
    await hubspot(fixture("hubspot", "company.propertyChange"));
    await drain();
    expect(await customerIds()).toHaveLength(1);

    const cus = JSON.parse(fixture("stripe", "customer.created"));
    cus.created = Math.floor(Date.now() / 1000);
    cus.data.object.metadata = {};
    await stripe(json(cus));
    await zendesk(zendeskTicket("9101", "dana.ops@acme.example", "Urgent"));
    await zendesk(zendeskTicket("9102", "lee@acme.example", "High"));
    await segment(fixture("segment", "group"));
    await drain();
    await segment(fixture("segment", "track"));
    const nps = JSON.parse(fixture("delighted", "survey_response.updated"));
    nps.event_data.score = 3;
    nps.event_data.comment = "Exports keep failing";
    await delighted(json(nps));
    await drain();

    const ids = await customerIds();
    expect(ids).toHaveLength(1);
    const res = await SELF.fetch(`${BASE}/api/customers/${ids[0]}`, { headers: ADMIN });
    const c = await res.json<any>();
    expect(c.externalIds).toMatchObject({ hubspot: "18230561027", stripe: "cus_QXg1o8vcGmoR32", segment_group: "acct_5521" });
    expect(c.domain).toBe("acme.example");
    const state = JSON.parse((await env.DB.prepare(`SELECT state FROM customers`).first<{ state: string }>())!.state);
    expect(Object.keys(state.support.tickets).sort()).toEqual(["zendesk:9101", "zendesk:9102"]);
    expect(Object.values(state.sentiment.responses).map((r: any) => r.score)).toEqual([3]);
    expect(Object.keys(state.usage.events)).toContain("Report Exported");
    expect(c.health.components.support).not.toBeNull();
    expect(c.health.components.sentiment).not.toBeNull();
    const unmatched = await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'unmatched'`).first<{ n: number }>();
    expect(unmatched!.n).toBe(0);
  });
});

describe("identity: unmatched events are kept, listed, and applied once after linking", () => {
  it("a ticket from an unknown domain waits until the domain is linked", async () => {
    await zendesk(zendeskTicket("9201", "ops@initech.example", "Normal"));
    await drain();
    const list = await (await SELF.fetch(`${BASE}/api/unmatched`, { headers: ADMIN })).json<{ events: any[] }>();
    const waiting = list.events.find((e) => e.id.startsWith("zendesk:"));
    expect(waiting).toMatchObject({ status: "unmatched", waitingFor: ["domain:initech.example"] });

    const [target] = await customerIds();
    const link = await SELF.fetch(`${BASE}/api/customers/${target}/links`, {
      method: "POST",
      headers: { ...ADMIN, "content-type": "application/json" },
      body: json({ kind: "domain", value: "initech.example" }),
    });
    expect(link.status).toBe(201);
    expect(await link.json()).toMatchObject({ redriven: 1 });
    await drain();
    const after = await (await SELF.fetch(`${BASE}/api/unmatched`, { headers: ADMIN })).json<{ events: any[] }>();
    expect(after.events.filter((e) => e.id.startsWith("zendesk:"))).toEqual([]);
    const state = JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(target).first<{ state: string }>())!.state);
    expect(Object.keys(state.support.tickets)).toContain("zendesk:9201");

    // The same delivery again is a duplicate: nothing is applied twice.
    await zendesk(zendeskTicket("9201", "ops@initech.example", "Normal"));
    await drain();
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'zendesk' AND status = 'processed'`).first<{ n: number }>())!;
    expect(n).toBe(3);
  });

  it("a linking conflict is refused", async () => {
    const [target] = await customerIds();
    const res = await SELF.fetch(`${BASE}/api/customers/${target}/links`, {
      method: "POST",
      headers: { ...ADMIN, "content-type": "application/json" },
      body: json({ kind: "hubspot", value: "18230561027" }),
    });
    expect(res.status).toBe(201);
    await env.DB.prepare(`INSERT INTO customers (id, state, created_at, updated_at) VALUES ('cu_other', '{}', 0, 0)`).run();
    const conflict = await SELF.fetch(`${BASE}/api/customers/cu_other/links`, {
      method: "POST",
      headers: { ...ADMIN, "content-type": "application/json" },
      body: json({ kind: "hubspot", value: "18230561027" }),
    });
    expect(conflict.status).toBe(409);
  });
});
