import { env } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHubSpot } from "../fakes/hubspot";
import { FakeZendesk } from "../fakes/zendesk";
import { drainWith, hubspotEvent, postHubspot, postZendesk, withZendesk, ZENDESK_API, zendeskTicketEvent } from "./support";

const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789" });
const zd = new FakeZendesk({ email: ZENDESK_API.ZENDESK_API_EMAIL, token: ZENDESK_API.ZENDESK_API_TOKEN });
const server = setupServer(
  http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)),
  http.all("https://zendesk.fake/*", ({ request }) => zd.handle(request as unknown as Request)),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

/** Every fact of this account, as the customer row holds it. */
async function customerOf(companyId: string) {
  const link = await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value = ?`).bind(companyId).first<{ customer_id: string }>();
  const row = await env.DB.prepare(`SELECT id, state, stage, version FROM customers WHERE id = ?`).bind(link!.customer_id).first<{ id: string; state: string; stage: string; version: number }>();
  return { ...row!, state: JSON.parse(row!.state) };
}

describe("scenario: a HubSpot company, its deal and ticket, and Zendesk tickets from its people end on one customer", () => {
  const companyId = hub.addCompany({ name: "Umbrella", domain: "umbrella.example" });
  const dealId = "61000001";
  const ticketId = "62000001";
  hub.associations.associate("deals", dealId, companyId, true);
  hub.associations.associate("tickets", ticketId, companyId, true);
  // One person at the company's domain; one with a free-mail address, found through their organization.
  zd.addUser(8101, "ana@umbrella.example", 9101);
  zd.addUser(8102, "bo.umbrella@gmail.com", 9101);
  zd.addOrganization(9101, ["umbrella.example"]);

  const hubspot = [
    hubspotEvent("deal.creation", { objectId: Number(dealId) }),
    hubspotEvent("deal.propertyChange", { objectId: Number(dealId), propertyName: "dealstage", propertyValue: "closedwon" }),
    hubspotEvent("ticket.creation", { objectId: Number(ticketId) }),
    hubspotEvent("company.creation", { objectId: Number(companyId) }),
    hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "domain", propertyValue: "umbrella.example" }),
    hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "lifecyclestage", propertyValue: "customer" }),
  ];
  const zendesk = [
    zendeskTicketEvent("created", { id: "5001", requesterId: "8101", eventId: "01JSCENARIO0000000000000001" }),
    zendeskTicketEvent("created", { id: "5002", requesterId: "8102", organizationId: "9101", eventId: "01JSCENARIO0000000000000002" }),
    zendeskTicketEvent("status_changed", { id: "5002", requesterId: "8102", organizationId: "9101", status: "SOLVED", eventId: "01JSCENARIO0000000000000003" }),
  ];

  it("attaches everything through the outbox's lookups, whatever arrives first", async () => {
    // The desk speaks first: nobody knows these ids yet.
    for (const z of zendesk) expect((await postZendesk(z)).status).toBe(200);
    expect((await postHubspot(hubspot)).status).toBe(200);
    await drainWith(withZendesk, 20);

    const c = await customerOf(companyId);
    const rows = await env.DB.prepare(`SELECT id, status, customer_id FROM inbox_events WHERE source IN ('hubspot', 'zendesk') AND (instr(normalized, ?) > 0 OR instr(normalized, ?) > 0 OR instr(normalized, '"desk":"zendesk"') > 0)`)
      .bind(`"dealId":"${dealId}"`, `"ticketId":"${ticketId}"`)
      .all<{ id: string; status: string; customer_id: string }>();
    expect(rows.results.length).toBe(3 + zendesk.length);
    for (const r of rows.results) expect(r).toMatchObject({ status: "processed", customer_id: c.id });

    expect(c.state.crm.deals[dealId]).toMatchObject({ status: "won" });
    expect(Object.keys(c.state.support.tickets).sort()).toEqual([`hubspot:${ticketId}`, "zendesk:5001", "zendesk:5002"]);
    expect(Object.values(c.state.support.tickets["zendesk:5002"].statusLog).map((s: any) => s.status).sort()).toEqual(["open", "solved"]);
    // HubSpot says customer and the deal is won: at least purchase, from the CRM alone.
    expect(c.stage).toBe("purchase");
    // Each record was looked up once.
    const v4 = hub.requests.filter((r) => r.path.startsWith("/crm/v4/"));
    expect(v4.map((r) => r.path.split("?")[0]).sort()).toEqual([`/crm/v4/objects/deals/${dealId}/associations/companies`, `/crm/v4/objects/tickets/${ticketId}/associations/companies`]);
    expect(zd.requests.map((r) => r.path).sort()).toEqual(["/api/v2/organizations/9101.json", "/api/v2/users/8101.json", "/api/v2/users/8102.json"]);
    // Only ids and domains are kept from the lookups, never the requester's email.
    const kept = await env.DB.prepare(`SELECT object_kind, object_value, to_kind, to_value FROM associations WHERE object_kind LIKE 'zendesk_%' ORDER BY object_kind, object_value`).all();
    expect(kept.results).toEqual([
      { object_kind: "zendesk_org", object_value: "9101", to_kind: "domain", to_value: "umbrella.example" },
      { object_kind: "zendesk_user", object_value: "8101", to_kind: "domain", to_value: "umbrella.example" },
      { object_kind: "zendesk_user", object_value: "8102", to_kind: "domain", to_value: "gmail.com" },
    ]);
  });

  it("a replay of every webhook applies nothing twice and looks nothing up again", async () => {
    const before = await customerOf(companyId);
    const calls = { hub: hub.requests.length, zd: zd.requests.length };
    for (const z of zendesk) expect(await (await postZendesk(z)).json()).toMatchObject({ duplicates: 1 });
    expect(await (await postHubspot(hubspot)).json()).toMatchObject({ duplicates: hubspot.length });
    await drainWith(withZendesk, 20);
    const after = await customerOf(companyId);
    expect(after.version).toBe(before.version);
    expect(after.state).toEqual(before.state);
    expect(hub.requests.filter((r) => r.path.startsWith("/crm/v4/")).length).toBe(2);
    expect(zd.requests.length).toBe(calls.zd);
    const customers = await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>();
    expect(customers!.n).toBe(1);
  });
});
