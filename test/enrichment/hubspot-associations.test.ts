import { env } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { FakeHubSpot } from "../fakes/hubspot";
import { applyEvents, drainWith, hubspotEvent, outboxRow, postHubspot, rowsNaming } from "./support";

const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789" });
const server = setupServer(http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const bindings = env as Env;
const customerOfCompany = async (companyId: string) =>
  (await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value = ?`).bind(companyId).first<{ customer_id: string }>())?.customer_id ?? null;
const v4Reads = (type: string, id: string) => hub.requests.filter((r) => r.path.startsWith(`/crm/v4/objects/${type}/${id}/associations/companies`));

describe("HubSpot deals and tickets attach through the v4 associations API, planned in the outbox", () => {
  const companyId = hub.addCompany({ name: "Globex", domain: "globex.example" });
  const dealId = "48110001";
  const ticketId = "48220001";
  hub.associations.associate("deals", dealId, companyId, true);
  hub.associations.associate("tickets", ticketId, companyId, true);
  const batch = [
    hubspotEvent("company.creation", { objectId: Number(companyId) }),
    hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "name", propertyValue: "Globex" }),
    hubspotEvent("deal.creation", { objectId: Number(dealId) }),
    hubspotEvent("deal.propertyChange", { objectId: Number(dealId), propertyName: "dealstage", propertyValue: "closedwon" }),
    hubspotEvent("ticket.creation", { objectId: Number(ticketId) }),
  ];

  it("the webhook path calls no vendor: deal and ticket wait unmatched under their own id, one lookup each planned", async () => {
    expect((await postHubspot(batch)).status).toBe(200);
    await applyEvents(bindings);
    expect(hub.requests.filter((r) => r.path.startsWith("/crm/v4/"))).toHaveLength(0);
    const deals = await rowsNaming("hubspot", `"dealId":"${dealId}"`);
    expect(deals).toHaveLength(2);
    for (const r of deals) {
      expect(r).toMatchObject({ status: "unmatched", customer_id: null });
      expect(r.reason).toContain(`hubspot_deal:${dealId}`);
    }
    const keys = await env.DB.prepare(`SELECT COUNT(*) AS n FROM unmatched_keys WHERE kind = 'hubspot_deal' AND value = ?`).bind(dealId).first<{ n: number }>();
    expect(keys!.n).toBe(2);
    expect(await outboxRow(`enrich:hubspot:deals:${dealId}`)).toMatchObject({ status: "pending" });
    expect(await outboxRow(`enrich:hubspot:tickets:${ticketId}`)).toMatchObject({ status: "pending" });
  });

  it("once the lookup is delivered, the association is stored and the waiting events land on the company's customer", async () => {
    await drainWith(bindings);
    expect(v4Reads("deals", dealId)).toHaveLength(1);
    expect(v4Reads("tickets", ticketId)).toHaveLength(1);
    expect(v4Reads("deals", dealId)[0]!.headers.authorization).toBe("Bearer pat-test-hubspot-0123456789");
    const customerId = await customerOfCompany(companyId);
    expect(customerId).not.toBeNull();
    const rows = [...(await rowsNaming("hubspot", `"dealId":"${dealId}"`)), ...(await rowsNaming("hubspot", `"ticketId":"${ticketId}"`))];
    expect(rows.map((r) => [r.status, r.customer_id])).toEqual(rows.map(() => ["processed", customerId]));
    const stored = await env.DB.prepare(`SELECT object_kind, object_value, to_kind, to_value, rank FROM associations WHERE to_value = ? ORDER BY object_kind`).bind(companyId).all();
    expect(stored.results).toEqual([
      { object_kind: "hubspot_deal", object_value: dealId, to_kind: "hubspot", to_value: companyId, rank: 0 },
      { object_kind: "hubspot_ticket", object_value: ticketId, to_kind: "hubspot", to_value: companyId, rank: 0 },
    ]);
    const res = await env.DB.prepare(`SELECT state, stage FROM customers WHERE id = ?`).bind(customerId).first<{ state: string; stage: string }>();
    const state = JSON.parse(res!.state);
    expect(state.crm.deals[dealId]).toMatchObject({ stage: "closedwon", status: "won" });
    expect(Object.keys(state.support.tickets)).toEqual([`hubspot:${ticketId}`]);
    // A won deal is the CRM's word that the company bought.
    expect(res!.stage).toBe("purchase");
  });

  it("a replay of every webhook is a duplicate: no second lookup, nothing applied twice", async () => {
    const res = await postHubspot(batch);
    expect(await res.json()).toMatchObject({ duplicates: batch.length });
    await drainWith(bindings);
    expect(v4Reads("deals", dealId)).toHaveLength(1);
    expect(v4Reads("tickets", ticketId)).toHaveLength(1);
    // A later event of the same deal resolves through the link the first one made: no lookup either.
    await postHubspot([hubspotEvent("deal.propertyChange", { objectId: Number(dealId), propertyName: "amount", propertyValue: "1200" })]);
    await drainWith(bindings);
    expect(v4Reads("deals", dealId)).toHaveLength(1);
    const customerId = await customerOfCompany(companyId);
    const state = JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(customerId).first<{ state: string }>())!.state);
    expect(state.crm.deals[dealId]).toMatchObject({ amount: 1200, status: "won" });
  });

  it("an association change looks the record up again, and its next facts follow it to the new company", async () => {
    const other = hub.addCompany({ name: "Initech" });
    await postHubspot([hubspotEvent("company.creation", { objectId: Number(other) })]);
    await drainWith(bindings);
    hub.associations.remove("deals", dealId, companyId);
    hub.associations.associate("deals", dealId, other, true);
    await postHubspot([hubspotEvent("deal.associationChange", { associationType: "DEAL_TO_COMPANY", fromObjectId: Number(dealId), toObjectId: Number(other), associationRemoved: false, isPrimaryAssociation: true })]);
    await drainWith(bindings);
    expect(v4Reads("deals", dealId)).toHaveLength(2);
    await postHubspot([hubspotEvent("deal.propertyChange", { objectId: Number(dealId), propertyName: "amount", propertyValue: "3000" })]);
    await drainWith(bindings);
    const moved = JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(await customerOfCompany(other)).first<{ state: string }>())!.state);
    expect(moved.crm.deals[dealId]).toMatchObject({ amount: 3000 });
    const before = JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(await customerOfCompany(companyId)).first<{ state: string }>())!.state);
    expect(before.crm.deals[dealId].amount).toBe(1200);
  });

  it("a contact created in HubSpot is looked up too and lands on its company", async () => {
    const contactId = "48330001";
    hub.associations.associate("contacts", contactId, companyId, true);
    await postHubspot([hubspotEvent("contact.creation", { objectId: Number(contactId) })]);
    await drainWith(bindings);
    expect(v4Reads("contacts", contactId)).toHaveLength(1);
    const contact = await env.DB.prepare(`SELECT customer_id FROM contacts WHERE id = ?`).bind(`hubspot:${contactId}`).first<{ customer_id: string }>();
    expect(contact?.customer_id).toBe(await customerOfCompany(companyId));
  });

  it("a deal HubSpot does not know is a permanent failure with HubSpot's reason, and its events stay unmatched", async () => {
    await postHubspot([hubspotEvent("deal.creation", { objectId: 48119999 })]);
    await drainWith(bindings);
    expect(await outboxRow("enrich:hubspot:deals:48119999")).toMatchObject({ status: "failed", last_error: expect.stringContaining("404") });
    const [row] = await rowsNaming("hubspot", `"dealId":"48119999"`);
    expect(row).toMatchObject({ status: "unmatched", customer_id: null });
  });
});
