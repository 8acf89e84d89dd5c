import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { HUBSPOT_CLOSED_TICKET_STAGES, hubspotSource } from "../../webhooks/hubspot";
import { hubspotSignedUri } from "../../webhooks/hubspot/signature";
import { fixture, fixturesOf, editedFixture } from "../support/fixtures";
import { signHubspot } from "../support/sign/hubspot";
import { PUBLIC_URL, runSourceContract } from "./contract";

const SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const fixtures = fixturesOf("hubspot");

runSourceContract({
  source: hubspotSource,
  secret: SECRET,
  fixtures,
  sign(body, opts) {
    return signHubspot(this.secret, body, opts);
  },
  timestamped: true,
  signatureHeaders: ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"],
  unknownTypeBody: JSON.stringify([
    { eventId: 1, subscriptionId: 9, portalId: 44551223, occurredAt: 1763901000000, subscriptionType: "product.creation", attemptNumber: 0, objectId: 77 },
    { eventId: 2, subscriptionId: 10, portalId: 44551223, occurredAt: 1763901000000, subscriptionType: "conversation.creation", attemptNumber: 0, objectId: 78 },
  ]),
  malformedBody: JSON.stringify([{ eventId: 1, subscriptionId: 9, portalId: 1, occurredAt: 1, subscriptionType: "company.creation", objectId: 5 }, 42]),
  datedBody: (at) => editedFixture("hubspot", "company.creation", (j) => { j[0].occurredAt = at; j[0].eventId = at; }),
});

function normalize(name: string) {
  const raw = fixture("hubspot", name);
  const deliveries = hubspotSource.normalize(hubspotSource.schema.parse(JSON.parse(raw)), raw, { now: 1_763_999_999_000 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

const verify = (headers: Record<string, string>, body: string, now: number, url: string, method = "POST") =>
  hubspotSource.verify({ rawBody: body, headers: new Headers(headers), method, url, now, secret: SECRET });

describe("hubspot signature", () => {
  it("verifies the official v3 vector", async () => {
    const headers = { "X-HubSpot-Signature-v3": "rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=", "X-HubSpot-Request-Timestamp": "1700000000000" };
    await expect(verify(headers, '{"example_field":"example_value"}', 1_700_000_000_000, "https://www.example.com/webhook_uri")).resolves.toBeUndefined();
    // The header name is case-insensitive; a timestamp 4 minutes old is still fresh.
    const lower = { "x-hubspot-signature-v3": headers["X-HubSpot-Signature-v3"], "x-hubspot-request-timestamp": "1700000000000" };
    await expect(verify(lower, '{"example_field":"example_value"}', 1_700_000_240_000, "https://www.example.com/webhook_uri")).resolves.toBeUndefined();
  });

  it("signs the URI with exactly HubSpot's twelve escapes decoded", async () => {
    expect(hubspotSignedUri("https://t.example/hook?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%2B%25&c=%3a")).toBe(
      "https://t.example/hook?a=:/?@!$'()*,;&b=%20%2B%25&c=:",
    );
    const url = `${PUBLIC_URL}/webhooks/hubspot?portal=a%3Ab%20c`;
    const body = fixture("hubspot", "company.creation");
    const now = Date.now();
    // HubSpot signed "...?portal=a:b%20c": the test helper decodes independently of the verifier.
    await expect(verify(await signHubspot(SECRET, body, { now, method: "POST", url }), body, now, url)).resolves.toBeUndefined();
    const wrongUrl = `${PUBLIC_URL}/webhooks/hubspot?portal=a%3Ab+c`;
    await expect(verify(await signHubspot(SECRET, body, { now, method: "POST", url }), body, now, wrongUrl)).rejects.toMatchObject({ reason: "bad_signature" });
  });

  it("refuses v1/v2 signatures, which carry no timestamp", async () => {
    // The official v1 vector: valid for v1, but accepting it would reopen replays.
    const body =
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    const headers = { "X-HubSpot-Signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de", "X-HubSpot-Signature-Version": "v1" };
    await expect(verify(headers, body, Date.now(), `${PUBLIC_URL}/webhooks/hubspot`)).rejects.toMatchObject({ reason: "missing_signature" });
  });

  it("rejects a seconds timestamp as stale (it is milliseconds)", async () => {
    const now = Date.now();
    const body = fixture("hubspot", "company.creation");
    const url = `${PUBLIC_URL}/webhooks/hubspot`;
    const headers = await signHubspot(SECRET, body, { now: Math.floor(now / 1000), method: "POST", url });
    await expect(verify(headers, body, now, url)).rejects.toMatchObject({ reason: "stale_timestamp" });
  });
});

describe("hubspot batch parsing", () => {
  it("rejects more than 100 events, accepts 100", () => {
    const ev = (i: number) => ({ eventId: i, subscriptionId: 1, portalId: 1, occurredAt: 1, subscriptionType: "company.creation", objectId: i });
    expect(hubspotSource.schema.safeParse(Array.from({ length: 101 }, (_, i) => ev(i))).success).toBe(false);
    expect(hubspotSource.schema.safeParse(Array.from({ length: 100 }, (_, i) => ev(i))).success).toBe(true);
  });

  it("one unreadable element becomes an ignored delivery; the rest of the batch is normalized", () => {
    const ds = normalize("mixed-batch");
    expect(ds).toHaveLength(4);
    expect(ds[0]!.events[0]).toMatchObject({ type: "company.changed", properties: { lifecyclestage: "evangelist" } });
    expect(ds[1]).toMatchObject({ events: [], ignoredReason: expect.stringMatching(/index 1: eventId/) });
    expect(ds[2]).toMatchObject({ vendorType: "product.creation", events: [] });
    // An association change becomes a fact about the contact, whose companies the outbox then looks up.
    expect(ds[3]).toMatchObject({ vendorType: "company.associationChange", events: [{ type: "contact.changed", contactId: "551", subject: { hubspotContactId: "551" }, properties: {} }] });
    expect(new Set(ds.map((d) => d.dedupeKey)).size).toBe(4);
  });

  it("never throws on arbitrary elements, and every element yields at least one delivery", () => {
    const element = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.record(
        {
          eventId: fc.oneof(fc.nat(), fc.string()),
          subscriptionId: fc.nat(),
          portalId: fc.nat(),
          occurredAt: fc.oneof(fc.nat(), fc.double()),
          subscriptionType: fc.constantFrom("company.merge", "contact.propertyChange", "deal.propertyChange", "ticket.propertyChange", "object.creation", "x"),
          objectId: fc.oneof(fc.nat(), fc.string()),
          objectTypeId: fc.constantFrom("0-1", "0-2", "0-3", "0-5", "2-99"),
          propertyName: fc.constantFrom("dealstage", "amount", "closedate", "hs_pipeline_stage", "hs_ticket_priority", "email", "domain"),
          propertyValue: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          mergedObjectIds: fc.array(fc.nat(), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.array(element, { maxLength: 20 }), (batch) => {
        const payload = hubspotSource.schema.parse(batch);
        const ds = hubspotSource.normalize(payload, "", { now: 5 });
        expect(ds.length).toBeGreaterThanOrEqual(batch.length);
        for (const d of ds) for (const e of d.events) normalizedEventSchema.parse(e);
      }),
      { numRuns: 300 },
    );
  });

  it("dedupes on (portalId, subscriptionId, eventId, occurredAt, objectId), not on attemptNumber", () => {
    const [a, b] = normalize("company.propertyChange");
    expect(a!.dedupeKey).toBe("44551223:2390547:2381766211:1763901200456:18230561027");
    const retried = JSON.parse(fixture("hubspot", "company.propertyChange")) as Record<string, unknown>[];
    retried[0]!.attemptNumber = 3;
    const again = hubspotSource.normalize(hubspotSource.schema.parse(retried), "", { now: 0 });
    expect(again[0]!.dedupeKey).toBe(a!.dedupeKey);
    expect(b!.dedupeKey).not.toBe(a!.dedupeKey);
    expect(a!.events[0]!.id).toBe(`hubspot:${a!.dedupeKey}`);
  });
});

describe("hubspot normalization", () => {
  it("company creation", () => {
    const [d] = normalize("company.creation");
    expect(d!.events).toEqual([expect.objectContaining({ type: "company.changed", companyId: "18230561027", created: true, subject: { hubspotCompanyId: "18230561027" }, occurredAt: 1763901000123 })]);
  });

  it("company property changes: lifecycle stage, domain (normalized), owner, renewal date", () => {
    const ds = normalize("company.propertyChange");
    expect(ds.map((d) => d.events[0])).toEqual([
      expect.objectContaining({ type: "company.changed", created: false, properties: { lifecyclestage: "customer" } }),
      expect.objectContaining({ properties: { domain: "acme.example" }, subject: { hubspotCompanyId: "18230561027", domain: "acme.example" } }),
      expect.objectContaining({ properties: { hubspot_owner_id: "80245561" } }),
      expect.objectContaining({ properties: { contract_renewal_date: "1796083200000" } }),
    ]);
  });

  it("company merge removes the merged-away company into the survivor", () => {
    const ds = normalize("company.merge");
    expect(ds).toHaveLength(1);
    expect(ds[0]!.events[0]).toMatchObject({ type: "company.removed", companyId: "18230561999", mergedInto: "18230561027", subject: { hubspotCompanyId: "18230561027", hubspotMergedCompanyId: "18230561999" } });
  });

  it("company deletion", () => {
    expect(normalize("company.deletion")[0]!.events[0]).toMatchObject({ type: "company.removed", companyId: "18230561888" });
  });

  it("contact email and job title; privacy deletion erases", () => {
    const [email, role] = normalize("contact.propertyChange");
    expect(email!.events[0]).toMatchObject({
      type: "contact.changed",
      contactId: "551",
      email: "dana.ops@acme.example",
      subject: { hubspotContactId: "551", email: "dana.ops@acme.example", domain: "acme.example" },
    });
    expect(role!.events[0]).toMatchObject({ type: "contact.changed", role: "VP Operations", subject: { hubspotContactId: "551" } });
    const [erase, deletion] = normalize("contact.privacyDeletion");
    expect(erase!.events).toEqual([expect.objectContaining({ type: "contact.erased", contactId: "551" })]);
    expect(deletion!.events).toEqual([]);
  });

  it("deal stage closedwon / closedlost, amount and close date; the deal id is the only identity hint", () => {
    const ds = normalize("deal.propertyChange");
    expect(ds.map((d) => d.events[0])).toEqual([
      expect.objectContaining({ type: "deal.changed", dealId: "35112200", stage: "closedwon", status: "won", subject: { hubspotDealId: "35112200" } }),
      expect.objectContaining({ dealId: "35112200", amount: 24000.5 }),
      expect.objectContaining({ dealId: "35112200", closeDate: 1764547200000 }),
      expect.objectContaining({ dealId: "35112201", status: "lost" }),
    ]);
  });

  it("tickets: creation opens, priority maps, closed stages solve, others reopen", () => {
    expect(normalize("ticket.creation")[0]!.events[0]).toMatchObject({ type: "ticket.changed", desk: "hubspot", ticketId: "2099001", status: "open", openedAt: 1763907000000 });
    const [prio, closed, reopened] = normalize("ticket.propertyChange");
    expect(prio!.events[0]).toMatchObject({ priority: "urgent" });
    expect(HUBSPOT_CLOSED_TICKET_STAGES).toContain("4");
    expect(closed!.events[0]).toMatchObject({ status: "solved" });
    expect(reopened!.events[0]).toMatchObject({ status: "open" });
  });

  it("deals and tickets carry their own id as the identity hint", () => {
    expect(normalize("ticket.creation")[0]!.events[0]).toMatchObject({ subject: { hubspotTicketId: "2099001" } });
  });

  it("association changes to a company become a bare fact about the other record; others are ignored with a reason", () => {
    const [dealToCompany, companyToTicket, dealToContact] = normalize("deal.associationChange");
    expect(dealToCompany!.events).toEqual([expect.objectContaining({ type: "deal.changed", dealId: "35112200", subject: { hubspotDealId: "35112200" } })]);
    expect(Object.keys(dealToCompany!.events[0]!).sort()).toEqual(["dealId", "id", "occurredAt", "source", "subject", "type"]);
    // A removal is looked up like any change: the API says what remains.
    expect(companyToTicket!.events).toEqual([expect.objectContaining({ type: "ticket.changed", desk: "hubspot", ticketId: "2099001", subject: { hubspotTicketId: "2099001" } })]);
    expect(companyToTicket!.events[0]).not.toHaveProperty("status");
    expect(dealToContact).toMatchObject({ events: [], ignoredReason: expect.stringContaining("DEAL_TO_CONTACT") });
    expect(dealToCompany!.dedupeKey).not.toBe(companyToTicket!.dedupeKey);
  });

  it("developer-platform object.* events map through objectTypeId", () => {
    expect(normalize("object.propertyChange")[0]!.events[0]).toMatchObject({ type: "company.changed", companyId: "18230561027", properties: { lifecyclestage: "customer" } });
  });
});
