import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { hubspotRecordDelivery } from "../../src/backfill/hubspot";
import { backfillStep, startBackfill, type BackfillDeps } from "../../src/backfill/run";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { runQueue } from "../support/drain";
import { applyReceived, recordingQueue } from "./apply";

const cfg = loadConfig(env);
const fakes = createFakes(cfg, { hubspot: { burstMax: 1000 } });
const server = startFakeServer(fakes, basesOf(cfg));
beforeAll(() => setupHubspotProperties({ cfg, fetch, now: Date.now }));
afterAll(() => server.close());

const hub = fakes.hubspot;
const companies: string[] = [];
for (let i = 0; i < 120; i++) {
  companies.push(hub.addCompany({ name: `Hub Co ${i}`, domain: `https://www.HubCo${i}.example/`, industry: "SOFTWARE", ...(i % 5 ? { hubspot_owner_id: "42" } : {}) }));
}
for (const [i, company] of companies.entries()) {
  hub.lists.addContact({ email: `lead${i}@hubco${i}.example`, jobtitle: i % 2 ? "CTO" : "Engineer" }, [company]);
  hub.lists.addContact({ email: `ops${i}@hubco${i}.example` }, [company]);
  if (i % 2 === 0) hub.lists.addDeal({ dealname: `Renewal ${i}`, dealstage: i % 4 ? "closedwon" : "appointmentscheduled", amount: "12000", closedate: "2026-10-01T00:00:00.000Z", hs_is_closed_won: i % 4 ? "true" : "false" }, [company]);
}
const orphanDeal = hub.lists.addDeal({ dealname: "Nobody's", dealstage: "closedlost" });
for (const [i, company] of companies.entries()) {
  if (i % 3 === 0) hub.lists.addTicket({ subject: `Export broken ${i}`, hs_pipeline: "0", hs_pipeline_stage: i % 2 ? "4" : "1", hs_ticket_priority: "HIGH" }, [company]);
}
// A ticket the list shows without a company: its association is read through the v4 API afterwards.
const orphanTicket = hub.lists.addTicket({ subject: "Who is this?", hs_pipeline: "0", hs_pipeline_stage: "1" });
hub.associations.associate("tickets", orphanTicket, companies[7]!, true);
const totals = { companies: 120, contacts: 240, deals: 61, tickets: 41 };
const allRecords = totals.companies + totals.contacts + totals.deals + totals.tickets;

const queue = recordingQueue();
const deps = (): BackfillDeps => ({ db: env.DB, cfg, fetch, now: Date.now, events: queue });

async function runToEnd() {
  for (let i = 0; i < 30; i++) {
    const step = await backfillStep(deps(), "hubspot");
    if (step.error || step.progress.status !== "running") return step;
  }
  throw new Error("the backfill did not finish");
}

describe("HubSpot backfill", () => {
  it("imports companies, contacts, deals and tickets page by page, resuming after a rate-limited page", async () => {
    await startBackfill(deps(), "hubspot");
    await backfillStep(deps(), "hubspot");
    hub.failNext(1, 429);
    const limited = await backfillStep(deps(), "hubspot");
    expect(limited.error).toMatchObject({ retryable: true });
    expect(limited.progress).toMatchObject({ status: "failed", read: 100 });
    await startBackfill(deps(), "hubspot");
    const end = await runToEnd();
    expect(end.progress.objects.map((o) => [o.object, o.read, o.imported])).toEqual([
      ["companies", totals.companies, totals.companies],
      ["contacts", totals.contacts, totals.contacts],
      ["deals", totals.deals, totals.deals],
      ["tickets", totals.tickets, totals.tickets],
    ]);
    const lists = hub.requests.filter((r) => r.method === "GET" && r.path.startsWith("/crm/v3/objects/"));
    expect(lists.filter((r) => r.status === 200)).toHaveLength(2 + 3 + 1 + 1);
    expect(lists.find((r) => r.path.startsWith("/crm/v3/objects/tickets?"))!.path).toContain("associations=companies");
    expect(lists.every((r) => /limit=100/.test(r.path))).toBe(true);
  });

  it("links contacts and deals to their company through the associations", async () => {
    await applyReceived();
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())!.n).toBe(totals.companies);
    const orphan = await env.DB.prepare(`SELECT status, reason FROM inbox_events WHERE vendor_type = 'deal.snapshot' AND payload LIKE ?`).bind(`%"id":"${orphanDeal}"%`).first();
    expect(orphan).toEqual({ status: "ignored", reason: "the deal has no associated company" });
    const row = await env.DB.prepare(`SELECT c.id, c.domain, c.state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'hubspot' AND i.value = ?`)
      .bind(companies[6])
      .first<{ id: string; domain: string; state: string }>();
    expect(row!.domain).toBe("hubco6.example");
    const state = JSON.parse(row!.state);
    expect(Object.values(state.crm.deals)).toEqual([expect.objectContaining({ status: "won", stage: "closedwon", amount: 12000 })]);
    expect(Object.values(state.crm.contacts)).toHaveLength(2);
    const contacts = await env.DB.prepare(`SELECT email, role FROM contacts WHERE customer_id = ? ORDER BY email`).bind(row!.id).all();
    expect(contacts.results).toEqual([
      { email: "lead6@hubco6.example", role: "Engineer" },
      { email: "ops6@hubco6.example", role: null },
    ]);
    const ownerless = await env.DB.prepare(`SELECT c.state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'hubspot' AND i.value = ?`).bind(companies[5]).first<{ state: string }>();
    expect(JSON.parse(ownerless!.state).crm.properties.hubspot_owner_id.value).toBeNull();
  });

  it("re-imports nothing after Tenure wrote its own properties to HubSpot (updatedAt moved, the facts did not)", async () => {
    const before = hub.companies.get(companies[0]!)!.updatedAt;
    const { results } = await env.DB.prepare(`SELECT id FROM outbox WHERE type = 'hubspot.properties'`).all<{ id: string }>();
    expect(results.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 5));
    await runQueue("tenure-actions", results.map((r) => ({ actionId: r.id })));
    expect(hub.companies.get(companies[0]!)!.properties.tenure_health_score).toBeDefined();
    expect(hub.companies.get(companies[0]!)!.updatedAt).not.toBe(before);
    await startBackfill(deps(), "hubspot");
    const again = await runToEnd();
    expect(again.progress).toMatchObject({ status: "done", read: allRecords, imported: 0 });
  });

  it("puts tickets on their company: through the list's associations, or the v4 lookup for one listed without", async () => {
    const stateOf = async (companyId: string) =>
      JSON.parse((await env.DB.prepare(`SELECT c.state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'hubspot' AND i.value = ?`).bind(companyId).first<{ state: string }>())!.state);
    const three = await stateOf(companies[3]!);
    const [ticket] = Object.values(three.support.tickets) as any[];
    expect(ticket).toMatchObject({ desk: "hubspot", subject: "Export broken 3", priority: { value: "high" } });
    expect(Object.values(ticket.statusLog).map((s: any) => s.status)).toEqual(["solved"]);
    // The lookup may have gone out with the property writes above; delivering it again sends nothing.
    await runQueue("tenure-actions", [{ actionId: `enrich:hubspot:tickets:${orphanTicket}` }]);
    // Records listed with their company planned no lookup; the one without did.
    const lookups = await env.DB.prepare(`SELECT id FROM outbox WHERE type = 'hubspot.associations'`).all<{ id: string }>();
    expect(lookups.results.map((r) => r.id)).toEqual([`enrich:hubspot:tickets:${orphanTicket}`]);
    await applyReceived();
    expect(Object.keys((await stateOf(companies[7]!)).support.tickets)).toEqual([`hubspot:${orphanTicket}`]);
    const orphan = await env.DB.prepare(`SELECT status FROM inbox_events WHERE vendor_type = 'ticket.snapshot' AND payload LIKE ?`).bind(`%"id":"${orphanTicket}"%`).first<{ status: string }>();
    expect(orphan!.status).toBe("processed");
    expect(hub.requests.filter((r) => r.path.startsWith(`/crm/v4/objects/tickets/${orphanTicket}/`))).toHaveLength(1);
  });
});

describe("hubspotRecordDelivery", () => {
  it("normalizes the domain like the webhook source and leaves HubSpot's system properties out", () => {
    const d = hubspotRecordDelivery("companies", { id: "7", properties: { name: "Acme", domain: "WWW.Acme.example", hs_object_id: "7", hs_lastmodifieddate: "x" }, updatedAt: "2026-01-02T03:04:05.000Z" }, 1);
    expect(d).toMatchObject({ vendorType: "company.snapshot", occurredAt: Date.parse("2026-01-02T03:04:05.000Z") });
    expect(d.events).toEqual([
      { id: `hubspot:${d.dedupeKey}`, source: "hubspot", occurredAt: d.occurredAt, type: "company.changed", subject: { hubspotCompanyId: "7", domain: "acme.example" }, companyId: "7", created: false, properties: { name: "Acme", domain: "acme.example" } },
    ]);
  });
});
