import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { editedFixture } from "../support/fixtures";
import { drain, runQueue } from "../support/drain";
import { api, customerOf, hubspot, hubspotCompany, segment, segmentGroup, segmentTrack } from "./sources";

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

let seq = 0;

/** HubSpot's company.merge webhook as documented: the primary survives, the merged ones go. */
function companyMerge(primary: number, merged: number[], opts: { newObjectId?: number; attemptNumber?: number; eventId?: number; occurredAt?: number } = {}) {
  return editedFixture("hubspot", "company.merge", (j) => {
    j[0].eventId = opts.eventId ?? 3019300000 + ++seq;
    j[0].occurredAt = opts.occurredAt ?? Date.now() - 5_000;
    j[0].objectId = primary;
    j[0].primaryObjectId = primary;
    j[0].mergedObjectIds = merged;
    j[0].newObjectId = opts.newObjectId ?? primary;
    j[0].attemptNumber = opts.attemptNumber ?? 0;
  });
}

const pointers = async (loser: string) =>
  (await env.DB.prepare(`SELECT survivor_id, via, reason FROM customer_merges WHERE loser_id = ?`).bind(loser).all<{ survivor_id: string; via: string; reason: string }>()).results;

const customerCount = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())!.n;

describe("HubSpot company.merge merges the Tenure customers", () => {
  it("merges the merged-away company's customer into the surviving company's, exactly once under redelivery", async () => {
    // The merged-away company's customer is the older one: HubSpot's choice of survivor decides, not age.
    await hubspot(hubspotCompany(81002, { name: "Keep Co (dup)", domain: "keep-dup.example" }));
    await drain();
    await hubspot(hubspotCompany(81001, { name: "Keep Co", domain: "keep.example" }));
    await drain();
    await segment(segmentGroup("g_dup", "u_dup", "Keep Co (dup)", "https://keep-dup.example"));
    await drain();
    await segment(segmentTrack("g_dup", "u_dup", "Report Exported"));
    await drain();
    const survivor = (await customerOf("hubspot", "81001"))!;
    const loser = (await customerOf("hubspot", "81002"))!;
    expect(survivor).toBeTruthy();
    expect(loser).toBeTruthy();
    expect(survivor).not.toBe(loser);
    const created = async (id: string) => (await env.DB.prepare(`SELECT created_at FROM customers WHERE id = ?`).bind(id).first<{ created_at: number }>())!.created_at;
    expect(await created(loser)).toBeLessThan(await created(survivor));
    expect(await customerOf("segment_group", "g_dup")).toBe(loser);

    // HubSpot retries (same event, the next attemptNumber); the same request is also delivered twice.
    const occurredAt = Date.now() - 5_000;
    const body = companyMerge(81001, [81002], { eventId: 3019400001, occurredAt });
    await hubspot(body);
    await hubspot(body);
    await hubspot(companyMerge(81001, [81002], { eventId: 3019400001, occurredAt, attemptNumber: 1 }));
    const rows = await env.DB.prepare(`SELECT id FROM inbox_events WHERE vendor_type = 'company.merge'`).all<{ id: string }>();
    expect(rows.results).toHaveLength(1);
    // The queue may deliver one message twice in a batch, and again later.
    await runQueue("tenure-events", [{ eventId: rows.results[0]!.id }, { eventId: rows.results[0]!.id }]);
    await runQueue("tenure-events", [{ eventId: rows.results[0]!.id }]);
    await drain();

    expect(await pointers(loser)).toEqual([{ survivor_id: survivor, via: "auto", reason: expect.stringContaining("HubSpot merged company 81002 into 81001") }]);
    expect(await customerOf("hubspot", "81002")).toBe(survivor);
    expect(await customerOf("segment_group", "g_dup")).toBe(survivor);
    const event = await env.DB.prepare(`SELECT customer_id, status FROM inbox_events WHERE id = ?`).bind(rows.results[0]!.id).first();
    expect(event).toEqual({ customer_id: survivor, status: "processed" });

    const gone = await api(`/customers/${loser}`);
    expect(gone.status).toBe(308);
    expect(gone.headers.get("location")).toBe(`/api/customers/${survivor}`);
    const kept = await (await api(`/customers/${survivor}`)).json<any>();
    expect(["81001", "81002"]).toContain(kept.externalIds.hubspot);
    const ids = (await env.DB.prepare(`SELECT value FROM identities WHERE customer_id = ? AND kind = 'hubspot' ORDER BY value`).bind(survivor).all<{ value: string }>()).results;
    expect(ids.map((r) => r.value)).toEqual(["81001", "81002"]);
    expect(kept.health.components.usage).not.toBeNull();
  });

  it("applies later events of the merged-away company to the survivor", async () => {
    const survivor = (await customerOf("hubspot", "81001"))!;
    await hubspot(
      JSON.stringify([
        { eventId: 3019500001, subscriptionId: 2390547, portalId: 44551223, occurredAt: Date.now() - 1_000, subscriptionType: "company.propertyChange", attemptNumber: 0, objectId: 81002, propertyName: "lifecyclestage", propertyValue: "customer" },
      ]),
    );
    await drain();
    const row = await env.DB.prepare(`SELECT customer_id, status FROM inbox_events WHERE vendor_type = 'company.propertyChange' AND payload LIKE '%3019500001%'`).first();
    expect(row).toEqual({ customer_id: survivor, status: "processed" });
  });

  it("links the unknown company to the known one's customer, whichever side is known, and creates nobody", async () => {
    await hubspot(hubspotCompany(81011, { name: "Primary Known" }));
    await hubspot(hubspotCompany(81022, { name: "Merged Known" }));
    await drain();
    const before = await customerCount();
    const primaryKnown = (await customerOf("hubspot", "81011"))!;
    const mergedKnown = (await customerOf("hubspot", "81022"))!;

    await hubspot(companyMerge(81011, [81012]));
    await hubspot(companyMerge(81021, [81022]));
    await drain();

    expect(await customerOf("hubspot", "81012")).toBe(primaryKnown);
    expect(await customerOf("hubspot", "81021")).toBe(mergedKnown);
    expect(await customerCount()).toBe(before);
    expect(await pointers(primaryKnown)).toEqual([]);
    expect(await pointers(mergedKnown)).toEqual([]);
    // The mark that says which company went is never linked as an id.
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM identities WHERE kind = 'hubspot_merged'`).first<{ n: number }>())!.n).toBe(0);
  });

  it("a merge into a new record (newObjectId) ends with one customer holding all three ids", async () => {
    await hubspot(hubspotCompany(81031, { name: "Three A" }));
    await hubspot(hubspotCompany(81032, { name: "Three B" }));
    await drain();
    await hubspot(companyMerge(81031, [81032], { newObjectId: 81033 }));
    await drain();
    const owner = await customerOf("hubspot", "81033");
    expect(owner).toBeTruthy();
    expect(await customerOf("hubspot", "81031")).toBe(owner);
    expect(await customerOf("hubspot", "81032")).toBe(owner);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE vendor_type = 'company.merge' AND status <> 'processed'`).first<{ n: number }>())!;
    expect(n).toBe(0);
  });
});
