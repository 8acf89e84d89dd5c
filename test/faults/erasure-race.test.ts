import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { erasePage } from "../../src/jobs/erase";
import type { EraseJob } from "../../src/jobs/messages";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { ADMIN, drain } from "../support/drain";
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
} from "../privacy/people";

/*
 * An erasure racing new events for the same person. Between every two pages of the job, new webhooks about
 * her arrive (some applied at once, some left waiting in the inbox for a later page to find), earlier ones are
 * redelivered, a duplicate of a page runs beside it, and the other people at her customer keep sending too.
 * At the end nothing of her survives anywhere, and nothing of anyone else is lost.
 */

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

type Send = () => Promise<void>;

/** Her webhooks, each a new fact: usage under both spellings of her user id, a new conversation, a ticket, a HubSpot change. */
function herArrivals(p: Person): Send[] {
  return Array.from({ length: 6 }, (_, i) => [
    () => segment(segmentTrack(p, `Feature ${i}`)),
    () => segment(segmentIdentify(p)),
    () => intercom(intercomConversation(p, `2470${i}`)),
    () => zendesk(zendeskTicket(p, `93${i}`)),
    () =>
      hubspot(
        JSON.stringify([
          { eventId: 9_300_000 + i, subscriptionId: 1, portalId: 44551223, appId: 3215840, occurredAt: Date.now() - 1000, subscriptionType: "contact.propertyChange", attemptNumber: 0, objectId: p.hubspotContactId, propertyName: i % 2 ? "firstname" : "date_of_birth", propertyValue: i % 2 ? p.firstName : p.dateOfBirth },
        ]),
      ),
  ]).flat();
}

async function statesById() {
  const { results } = await env.DB.prepare(`SELECT id, state FROM customers`).all<{ id: string; state: string }>();
  return new Map(results.map((r) => [r.id, JSON.parse(r.state)]));
}

describe("fault: an erasure racing new events for the same person", () => {
  it("leaves nothing of her, and loses nothing of anyone else, whatever arrives between its pages", async () => {
    await seedCompany(7001, "Erase Co", "erase.example");
    await seedCompany(7002, "Keep Co", "keep.example");
    await drain();
    await segment(segmentGroup(DANA, "erase.example"));
    await segment(segmentGroup(KIM, "keep.example"));
    await drain();
    // Her first deliveries are kept as sent, to be redelivered during the erasure.
    const bodies = { identify: segmentIdentify(DANA), track: segmentTrack(DANA), conversation: intercomConversation(DANA, "1470551") };
    const sent: Send[] = [() => segment(bodies.identify), () => segment(bodies.track), () => intercom(bodies.conversation)];
    await seedHubspotContact(DANA);
    for (const send of sent) await send();
    for (const p of [MAREK, KIM]) {
      await seedHubspotContact(p);
      await segment(segmentIdentify(p));
      await segment(segmentTrack(p));
    }
    await drain();

    const res = await SELF.fetch(`${BASE}/api/contacts/hubspot:${DANA.hubspotContactId}`, { method: "DELETE", headers: ADMIN });
    expect(res.status).toBe(202);
    const job: EraseJob = { job: "erase", erasureId: (await res.json<{ id: string }>()).id };

    const arrivals = herArrivals(DANA);
    const others: string[] = [];
    let next: EraseJob | null = job;
    for (let page = 0; next; page++) {
      // A duplicate of the same page runs beside it: one of them moves the erasure on, the other writes nothing.
      const pair: (EraseJob | null)[] = await Promise.all([erasePage(env.DB, Date.now(), next), erasePage(env.DB, Date.now(), next)]);
      next = pair[0] ?? pair[1] ?? null;
      const arrival = arrivals[page % arrivals.length]!;
      await arrival();
      if (page % 3 === 0) await sent[page % sent.length]!(); // a redelivery: a duplicate, stored once
      const feature = `Marek feature ${page}`;
      others.push(feature);
      await segment(segmentTrack(MAREK, feature));
      // Every other page the new rows wait unapplied, for the job's own pages to meet them in the inbox.
      if (page % 2 === 1) await drain();
      expect(page).toBeLessThan(200);
    }
    for (const send of arrivals) await send();
    for (const send of sent) await send();
    await drain();

    const status = await (await SELF.fetch(`${BASE}/api/erasures/${job.erasureId}`, { headers: ADMIN })).json<{ status: string }>();
    expect(status.status).toBe("done");
    expect(await occurrences(needlesOf(DANA))).toEqual([]);

    // Nothing else is lost: every event was applied, Marek's usage and Kim's data are all there.
    const { results: pending } = await env.DB.prepare(`SELECT id, status FROM inbox_events WHERE status NOT IN ('processed', 'ignored')`).all();
    expect(pending).toEqual([]);
    for (const p of [MAREK, KIM]) {
      const left = await occurrences(needlesOf(p));
      for (const n of needlesOf(p)) expect(left.some((o) => o.endsWith(`: ${n}`)), `${p.firstName}: ${n}`).toBe(true);
    }
    const states = [...(await statesById()).values()];
    const erase = states.find((s) => s.usage.events["Report Exported"] && s.profile.domain?.value === "erase.example");
    expect(erase).toBeDefined();
    for (const f of others) expect(Object.keys(erase.usage.events)).toContain(f);
    // Her new usage still counts, under her pseudonyms: the features she used after the erasure are there too.
    for (let i = 0; i < 6; i++) expect(Object.keys(erase.usage.events)).toContain(`Feature ${i}`);
    // Her new tickets count for the customer as tickets, without her in them.
    for (let i = 0; i < 6; i++) expect(Object.keys(erase.support.tickets)).toContain(`zendesk:93${i}`);
  });
});
