import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { propertyDefinitions } from "../../connectors/hubspot";
import { loadConfig } from "../../src/env";
import { createFakes } from "../fakes/msw";
import { FakeZendesk } from "../fakes/zendesk";
import { drainWith, hubspotEvent, postHubspot, postZendesk, withZendesk, ZENDESK_API, zendeskTicketEvent } from "../enrichment/support";
import { editedFixture } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";
import { segment, segmentGroup, segmentTrack, stripe, stripeCustomer, stripeInvoice } from "./sources";

/**
 * The whole stack for one account, each source in its vendor's real shape and signature: a HubSpot
 * company whose deal and ticket carry no company id (attached only through the associations API), Zendesk
 * event-subscription tickets that carry only requester and organization ids, a Stripe customer whose first
 * payment arrives before `customer.created`, Segment usage under the account's groupId, and a Delighted CSAT
 * answer. Everything must end on one customer, and a replay of every delivery must change nothing.
 */

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const zd = new FakeZendesk({ email: ZENDESK_API.ZENDESK_API_EMAIL, token: ZENDESK_API.ZENDESK_API_TOKEN });
const server = setupServer(
  http.all(`${cfg.HUBSPOT_API_BASE}/*`, ({ request }) => fakes.hubspot.handle(request as unknown as Request)),
  http.all(`${cfg.SLACK_API_BASE}/*`, ({ request }) => fakes.slack.handle(request as unknown as Request)),
  http.all(`${cfg.STRIPE_API_BASE}/*`, ({ request }) => fakes.stripe.handle(request as unknown as Request)),
  http.all(`${ZENDESK_API.ZENDESK_API_BASE}/*`, ({ request }) => zd.handle(request as unknown as Request)),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

// The portal has Tenure's properties (what `npm run setup:hubspot` creates), so the score is written back.
fakes.hubspot.defineProperties(propertyDefinitions);
const companyId = fakes.hubspot.addCompany({ name: "Initech", domain: "initech.example" });
const dealId = "63000001";
const ticketId = "64000001";
fakes.hubspot.associations.associate("deals", dealId, companyId, true);
fakes.hubspot.associations.associate("tickets", ticketId, companyId, true);
zd.addUser(8201, "peter@initech.example", 9201);
zd.addOrganization(9201, ["initech.example"]);

const hubspotBatch = [
  hubspotEvent("company.creation", { objectId: Number(companyId) }),
  hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "domain", propertyValue: "initech.example" }),
  hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "name", propertyValue: "Initech" }),
  hubspotEvent("deal.creation", { objectId: Number(dealId) }),
  hubspotEvent("deal.propertyChange", { objectId: Number(dealId), propertyName: "dealstage", propertyValue: "closedwon" }),
  hubspotEvent("ticket.creation", { objectId: Number(ticketId) }),
];
const zendeskEvents = [
  zendeskTicketEvent("created", { id: "6101", requesterId: "8201", organizationId: "9201", eventId: "01JWHOLESTACK00000000000001" }),
  zendeskTicketEvent("status_changed", { id: "6101", requesterId: "8201", organizationId: "9201", status: "SOLVED", eventId: "01JWHOLESTACK00000000000002" }),
];
// Stripe does not order deliveries: the first payment comes before customer.created; the customer carries the
// HubSpot company id and the account id the product's Segment groups use.
const stripeEvents = [
  stripeInvoice("cus_initech", "billing@initech.example", "in_initech_1"),
  stripeCustomer("cus_initech", "billing@initech.example", { hubspot_company_id: companyId, account_id: "acct_initech" }),
];
const segmentEvents = [
  segmentGroup("acct_initech", "u_peter", "Initech"),
  segmentTrack("acct_initech", "u_peter", "Report Exported"),
  segmentTrack("acct_initech", "u_peter", "Dashboard Viewed"),
];
const csat = editedFixture("delighted", "survey_response.csat", (j) => {
  j.event_id = "whole-stack-csat-1";
  j.event_data.id = "9901";
  j.event_data.person.email = "peter@initech.example";
  j.event_data.created_at = j.event_data.updated_at = Math.floor(Date.now() / 1000) - 120;
});
const delighted = async (body: string) => {
  const res = await SELF.fetch("https://tenure.example.com/webhooks/delighted", { method: "POST", body, headers: { "content-type": "application/json", ...(await signDelighted("delighted_secret", body)) } });
  expect(res.status, await res.clone().text()).toBe(200);
};

async function deliverAll() {
  for (const z of zendeskEvents) expect((await postZendesk(z)).status).toBe(200);
  for (const s of stripeEvents) await stripe(s);
  for (const s of segmentEvents) await segment(s);
  await delighted(csat);
  expect((await postHubspot(hubspotBatch)).status).toBe(200);
  await drainWith(withZendesk, 30);
}

const customers = async () => (await env.DB.prepare(`SELECT id, stage, score, version, state, health FROM customers`).all<{ id: string; stage: string; score: number; version: number; state: string; health: string }>()).results;

describe("the whole stack for one account ends on one customer", () => {
  it("HubSpot deal and ticket, Zendesk tickets, Stripe out of order, Segment usage and a CSAT answer: one customer with all of it", async () => {
    await deliverAll();
    const all = await customers();
    expect(all, JSON.stringify(all.map((c) => c.id))).toHaveLength(1);
    const c = all[0]!;
    const state = JSON.parse(c.state);
    expect(state.crm.deals[dealId]).toMatchObject({ status: "won" });
    expect(Object.keys(state.support.tickets).sort()).toEqual([`hubspot:${ticketId}`, "zendesk:6101"]);
    expect(Object.keys(state.billing.invoices)).toEqual(["in_initech_1"]);
    expect(Object.keys(state.usage.events).sort()).toEqual(["Dashboard Viewed", "Report Exported"]);
    expect(Object.values(state.sentiment.responses).map((r: any) => r.kind)).toEqual(["csat"]);
    // Every identity the sources brought points at it.
    const ids = await env.DB.prepare(`SELECT kind, value FROM identities WHERE customer_id = ? AND kind IN ('hubspot', 'stripe', 'account', 'segment_group', 'domain') ORDER BY kind`).bind(c.id).all();
    expect(ids.results).toEqual(
      expect.arrayContaining([
        { kind: "account", value: "acct_initech" },
        { kind: "domain", value: "initech.example" },
        { kind: "hubspot", value: companyId },
        { kind: "segment_group", value: "acct_initech" },
        { kind: "stripe", value: "cus_initech" },
      ]),
    );
    // The score is built from every component the facts feed.
    const health = JSON.parse(c.health);
    for (const component of ["billing", "usage", "support", "sentiment", "relationship"]) expect(health.components[component], component).not.toBeNull();
    expect(c.stage).not.toBe("awareness");
    // The score reached the HubSpot company; the deal and the ticket were each looked up once.
    expect(fakes.hubspot.companies.get(companyId)!.properties).toMatchObject({ tenure_health_score: String(c.score), tenure_loyalty_stage: c.stage });
    expect(fakes.hubspot.requests.filter((r) => r.path.startsWith("/crm/v4/")).map((r) => r.path.split("?")[0]).sort()).toEqual([
      `/crm/v4/objects/deals/${dealId}/associations/companies`,
      `/crm/v4/objects/tickets/${ticketId}/associations/companies`,
    ]);
    // Nothing waits unmatched or failed.
    const left = await env.DB.prepare(`SELECT id, status, reason FROM inbox_events WHERE status IN ('unmatched', 'failed', 'received')`).all();
    expect(left.results).toEqual([]);
  });

  it("a replay of every delivery applies nothing twice", async () => {
    const [before] = await customers();
    await deliverAll();
    const after = await customers();
    expect(after).toHaveLength(1);
    expect(after[0]!.version).toBe(before!.version);
    expect(JSON.parse(after[0]!.state)).toEqual(JSON.parse(before!.state));
    expect(fakes.hubspot.requests.filter((r) => r.path.startsWith("/crm/v4/"))).toHaveLength(2);
    const failed = await env.DB.prepare(`SELECT id, last_error FROM outbox WHERE status IN ('failed', 'dead')`).all();
    expect(failed.results).toEqual([]);
  });
});
