import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { PAGE } from "../../src/jobs/erase-steps";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { ADMIN, drain } from "../support/drain";
import { jobHarness, runPages } from "../support/jobs";
import {
  BASE,
  DANA,
  KIM,
  MAREK,
  hubspot,
  intercom,
  intercomConversation,
  needlesOf,
  occurrences,
  seedCompany,
  seedHubspotContact,
  segment,
  segmentGroup,
  segmentIdentify,
  segmentTrack,
  zendesk,
  zendeskTicket,
  type Person,
} from "./people";

// HubSpot writes and notes, Slack alerts raised on the way are delivered to the vendor fakes.
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

/** Statements one erasure page may run: a page of writes (customers: two each), its read, the erasure's row, the guard. */
const STATEMENTS_PER_PAGE = Math.max(PAGE.inbox, PAGE.contacts, PAGE.table, PAGE.customers * 2) + 8;
const CALLS_PER_PAGE = 6;

async function seedPerson(p: Person, ticketId: string) {
  await seedHubspotContact(p);
  await segment(segmentIdentify(p));
  await segment(segmentTrack(p));
  await intercom(intercomConversation(p, `1470${p.hubspotContactId}`));
  await zendesk(zendeskTicket(p, ticketId));
}

async function scores() {
  const { results } = await env.DB.prepare(`SELECT id, score, band, stage, mrr FROM customers ORDER BY id`).all();
  return results;
}

/** What the erasure must leave: each customer's usage counts, tickets and survey answers, by customer. */
async function anonymousFacts() {
  const { results } = await env.DB.prepare(`SELECT id, state FROM customers ORDER BY id`).all<{ id: string; state: string }>();
  return results.map((r) => {
    const s = JSON.parse(r.state);
    const sketchSize = (k: any) => (k && "h" in k ? k.h.length : k?.r);
    return {
      id: r.id,
      known: sketchSize(s.usage.known),
      days: Object.fromEntries(Object.entries(s.usage.days).map(([d, v]: [string, any]) => [d, sketchSize(v.u)])),
      roles: Object.values(s.usage.roles).map((v: any) => v.role).sort(),
      features: Object.keys(s.usage.events).sort(),
      tickets: Object.keys(s.support.tickets).sort(),
    };
  });
}

async function runErasure(erasureId: string) {
  const h = jobHarness();
  const runs = await runPages(h, [{ job: "erase", erasureId }]);
  expect(runs.length).toBeGreaterThan(0);
  for (const r of runs) {
    expect(r.error).toBeUndefined();
    expect(r.acked).toBe(true);
    expect(r.statements, JSON.stringify(r.body)).toBeLessThanOrEqual(STATEMENTS_PER_PAGE);
    expect(r.calls).toBeLessThanOrEqual(CALLS_PER_PAGE);
  }
  return runs;
}

describe("erasure: nothing of the person is left, in any table or payload, in any case", () => {
  it("seeds three people at two customers through signed webhooks", async () => {
    await seedCompany(7001, "Erase Co", "erase.example");
    await seedCompany(7002, "Keep Co", "keep.example");
    await drain();
    await segment(segmentGroup(DANA, "erase.example"));
    await segment(segmentGroup(KIM, "keep.example"));
    await drain();
    await seedPerson(DANA, "9101");
    await seedPerson(MAREK, "9102");
    await seedPerson(KIM, "9201");
    // More inbox rows than a page holds: the job walks them in bounded pages.
    for (let i = 0; i < PAGE.inbox * 2 + 10; i++) await segment(segmentTrack(KIM, `Bulk ${i % 5}`));
    await drain(20);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())!;
    expect(n).toBe(2);
    // Review claims members made through the loyalty widget: hers names her, Kim's must stay.
    const customerOf = async (domain: string) => (await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'domain' AND value = ?`).bind(domain).first<string>("customer_id"))!;
    const claim = env.DB.prepare(`INSERT INTO member_claims (id, customer_id, kind, url, status, submitted_by, created_at) VALUES (?, ?, 'review', ?, 'pending', ?, ?)`);
    await env.DB.batch([
      claim.bind("claim_dana", await customerOf("erase.example"), "https://reviews.example/u/ostrowska", DANA.userId, Date.now()),
      claim.bind("claim_kim", await customerOf("keep.example"), "https://reviews.example/u/keep-co", KIM.userId, Date.now()),
    ]);
    // The inputs are all there before: the mixed-case email, names, date of birth, user id.
    expect(await occurrences(needlesOf(DANA))).toEqual(expect.arrayContaining(["inbox_events: dana.ops@erase.example", "inbox_events: ostrowska", "inbox_events: 1988-04-12", "contacts: dana.ops@erase.example"]));
  });

  it("DELETE /api/contacts/:id answers 202 with the erasure; its pages leave nothing of her, each within a fixed budget", async () => {
    const before = { scores: await scores(), facts: await anonymousFacts() };
    const res = await SELF.fetch(`${BASE}/api/contacts/hubspot:${DANA.hubspotContactId}`, { method: "DELETE", headers: ADMIN });
    expect(res.status).toBe(202);
    const started = await res.json<{ id: string; status: string; statusUrl: string }>();
    expect(started).toMatchObject({ status: "running", statusUrl: `/api/erasures/${started.id}` });

    await runErasure(started.id);

    const status = await (await SELF.fetch(`${BASE}${started.statusUrl}`, { headers: ADMIN })).json<any>();
    expect(status).toMatchObject({ id: started.id, contactId: "hubspot:551", status: "done", finishedAt: expect.any(String) });
    expect(status.counts.inbox_events).toBeGreaterThanOrEqual(6);
    expect(status.counts.contacts).toBe(3); // hubspot:551 kept as a tombstone, both spellings of segment:<her email> gone

    expect(await occurrences(needlesOf(DANA))).toEqual([]);
    expect(await env.DB.prepare(`SELECT identifiers FROM erasures WHERE id = ?`).bind(started.id).first()).toEqual({ identifiers: null });
    // Marek (same customer) and Kim (another) keep everything; scores and anonymous counts are as they were.
    for (const p of [MAREK, KIM]) {
      const left = await occurrences(needlesOf(p));
      for (const n of needlesOf(p)) expect(left.some((o) => o.endsWith(`: ${n}`)), `${p.firstName}: ${n}`).toBe(true);
      expect(left).toContain(`contacts: ${p.email}`);
    }
    expect(await scores()).toEqual(before.scores);
    expect(await anonymousFacts()).toEqual(before.facts);
    const claims = await env.DB.prepare(`SELECT id FROM member_claims ORDER BY id`).all<{ id: string }>();
    expect(claims.results.map((c) => c.id)).toEqual(["claim_kim"]);
  });

  it("her facts that arrive after the erasure are scrubbed before they are applied or kept", async () => {
    const before = await anonymousFacts();
    const track = segmentTrack(DANA, "Dashboard Viewed");
    await segment(track);
    await segment(segmentIdentify(DANA));
    await hubspot(JSON.stringify([{ eventId: 9_100_001, subscriptionId: 1, portalId: 44551223, appId: 3215840, occurredAt: Date.now() - 1000, subscriptionType: "contact.propertyChange", attemptNumber: 0, objectId: DANA.hubspotContactId, propertyName: "lastname", propertyValue: DANA.lastName }]));
    await drain();
    expect(await occurrences(needlesOf(DANA))).toEqual([]);
    // Applied, the track is kept as its id alone (migrations/0028_applied_deliveries.sql): no row holds its facts.
    const rows = await env.DB.prepare(`SELECT normalized, payload FROM inbox_events WHERE normalized LIKE '%Dashboard Viewed%'`).all();
    expect(rows.results).toEqual([]);
    const id = `segment:${(JSON.parse(track) as { messageId: string }).messageId}`;
    expect(await env.DB.prepare(`SELECT source, vendor_type FROM applied_deliveries WHERE id = ?`).bind(id).first()).toEqual({ source: "segment", vendor_type: "track" });
    const after = await anonymousFacts();
    const erase = after.find((c) => c.features.includes("Dashboard Viewed"));
    // Her new usage still counts (as the same pseudonymous user): nothing of the customer's facts is lost.
    expect(erase).toBeDefined();
    expect(erase!.known).toBe(before.find((c) => c.id === erase!.id)!.known);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status IN ('received', 'failed')`).first<{ n: number }>())!;
    expect(n).toBe(0);
  });

  it("a signed contact.privacyDeletion starts the same job (and its redelivery starts nothing new)", async () => {
    const body = JSON.stringify([{ eventId: 9_200_001, subscriptionId: 2390562, portalId: 44551223, appId: 3215840, occurredAt: Date.now() - 1000, subscriptionType: "contact.privacyDeletion", attemptNumber: 0, objectId: MAREK.hubspotContactId, changeFlag: "DELETED", changeSource: "GDPR" }]);
    await hubspot(body);
    await drain();
    await hubspot(body);
    await drain();
    const { results } = await env.DB.prepare(`SELECT id, status FROM erasures WHERE contact_id = ?`).bind(`hubspot:${MAREK.hubspotContactId}`).all<{ id: string; status: string }>();
    expect(results).toHaveLength(1);
    const before = await scores();
    await runErasure(results[0]!.id);
    expect(await occurrences(needlesOf(MAREK))).toEqual([]);
    expect(await occurrences(needlesOf(DANA))).toEqual([]);
    const kim = await occurrences(needlesOf(KIM));
    for (const n of needlesOf(KIM)) expect(kim.some((o) => o.endsWith(`: ${n}`)), n).toBe(true);
    expect(await scores()).toEqual(before);
  });
});
