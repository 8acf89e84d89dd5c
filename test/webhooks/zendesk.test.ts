import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { zendeskSource } from "../../webhooks/zendesk";
import { fixture, fixturesOf, editedFixture, iso } from "../support/fixtures";
import { base64, hmacBytes } from "../support/sign/crypto";
import { signZendesk } from "../support/sign/zendesk";
import { runSourceContract } from "./contract";

/** Zendesk's static test secret (used for builder test requests); also the bound test secret. */
const SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";

runSourceContract({
  source: zendeskSource,
  secret: SECRET,
  fixtures: fixturesOf("zendesk"),
  sign(body, opts) {
    return signZendesk(this.secret, body, opts);
  },
  timestamped: true,
  signatureHeaders: ["X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"],
  unknownTypeBody: JSON.stringify({
    type: "zen:event-type:user.created",
    account_id: 22129848,
    id: "2b24ef10-19d4-4740-93cf-8f98ec4776c0",
    time: "2025-11-23T05:33:18Z",
    zendesk_event_version: "2022-06-20",
    subject: "zen:user:6596848315901",
    detail: { id: "6596848315901", email: "new.user@acme.example", role: "end-user" },
    event: {},
  }),
  malformedBody: JSON.stringify({ type: "zen:event-type:ticket.created", id: "e-1", time: "2025-11-23T05:33:18Z", detail: { id: { nested: true } }, event: {} }),
  datedBody: (at) => editedFixture("zendesk", "ticket.created", (j) => { j.time = iso(at); j.id = `dated-${at}`; }),
});

function normalize(name: string) {
  const raw = fixture("zendesk", name);
  const deliveries = zendeskSource.normalize(zendeskSource.schema.parse(JSON.parse(raw)), raw, { now: 1_764_000_000_000 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

describe("zendesk signature", () => {
  it("verifies the official vector (timestamp + body, no separator)", async () => {
    const headers = new Headers({
      "X-Zendesk-Webhook-Signature": "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=",
      "X-Zendesk-Webhook-Signature-Timestamp": "2021-03-25T05:09:27Z",
    });
    const input = { rawBody: '{"event":"ticket.updated","id":123}', headers, method: "POST", url: "", secret: SECRET };
    await expect(zendeskSource.verify({ ...input, now: Date.parse("2021-03-25T05:10:27Z") })).resolves.toBeUndefined();
    await expect(zendeskSource.verify({ ...input, now: Date.parse("2021-03-25T05:15:28Z") })).rejects.toMatchObject({ reason: "stale_timestamp" });
  });

  it("rejects a correctly signed timestamp that is not ISO-8601", async () => {
    const body = fixture("zendesk", "ticket.created");
    const ts = "1764000000";
    const sig = base64(await hmacBytes("SHA-256", SECRET, ts + body));
    const headers = new Headers({ "X-Zendesk-Webhook-Signature": sig, "X-Zendesk-Webhook-Signature-Timestamp": ts });
    await expect(zendeskSource.verify({ rawBody: body, headers, method: "POST", url: "", now: 1_764_000_000_000, secret: SECRET })).rejects.toMatchObject({
      reason: "missing_timestamp",
    });
  });
});

describe("zendesk normalization (event subscriptions)", () => {
  it("ticket created: open with priority, tags, subject line and opening time; dedupe on the payload id", () => {
    const [d] = normalize("ticket.created");
    expect(d!.dedupeKey).toBe("01JDM6XQ4R8C2V7W9E5B3N1K0A");
    expect(d!.events[0]).toMatchObject({
      id: "zendesk:01JDM6XQ4R8C2V7W9E5B3N1K0A",
      type: "ticket.changed",
      desk: "zendesk",
      ticketId: "35436",
      status: "open",
      priority: "high",
      tags: ["exports", "enterprise"],
      title: "Exports failing",
      openedAt: Date.parse("2025-11-23T10:12:07Z"),
      occurredAt: Date.parse("2025-11-23T10:12:07.672Z"),
    });
  });

  it("status changes: solved, then reopened", () => {
    expect(normalize("ticket.status_changed")[0]!.events[0]).toMatchObject({ status: "solved" });
    const reopened = normalize("ticket.status_changed.reopened")[0]!.events[0]!;
    expect(reopened).toMatchObject({ status: "open" });
    expect(reopened).not.toHaveProperty("priority");
  });

  it("priority and tags changes carry only what changed", () => {
    expect(normalize("ticket.priority_changed")[0]!.events[0]).toMatchObject({ priority: "urgent" });
    expect(normalize("ticket.priority_changed")[0]!.events[0]).not.toHaveProperty("status");
    expect(normalize("ticket.tags_changed")[0]!.events[0]).toMatchObject({ tags: ["exports", "enterprise", "churn_risk"] });
  });

  it("ticket events Tenure does not use are ignored", () => {
    expect(normalize("ticket.comment_added")[0]).toMatchObject({ events: [], ignoredReason: expect.stringContaining("comment_added") });
  });
});

describe("zendesk normalization (trigger template)", () => {
  it("a good rating is 100, with the requester as subject", () => {
    const [d] = normalize("trigger.satisfaction");
    expect(d!.events[0]).toMatchObject({
      type: "ticket.changed",
      ticketId: "35436",
      status: "solved",
      priority: "high",
      csat: 100,
      tags: ["exports", "enterprise"],
      subject: { email: "dana.ops@acme.example", domain: "acme.example" },
      occurredAt: Date.parse("2025-11-25T08:30:00Z"),
    });
    expect(d!.dedupeKey).toMatch(/^ticket:35436:/);
  });

  it("a bad rating is 0; empty tags are left out", () => {
    const e = normalize("trigger.bad-rating")[0]!.events[0]!;
    expect(e).toMatchObject({ csat: 0, status: "closed", priority: "normal" });
    expect(e).not.toHaveProperty("tags");
  });

  it("an offered-but-unanswered survey sets no csat; the same body twice has one dedupe key", () => {
    const body = JSON.stringify({ ticket: { id: "7", status: "Solved", priority: "Low", satisfaction: "Offered", updated_at: "2025-11-25T08:30Z" } });
    const a = zendeskSource.normalize(zendeskSource.schema.parse(JSON.parse(body)), body, { now: 0 });
    const b = zendeskSource.normalize(zendeskSource.schema.parse(JSON.parse(body)), body, { now: 1 });
    expect(a[0]!.events[0]).not.toHaveProperty("csat");
    expect(a[0]!.dedupeKey).toBe(b[0]!.dedupeKey);
  });

  it("an envelope missing its id is a schema error with a path", () => {
    const r = zendeskSource.schema.safeParse({ type: "zen:event-type:ticket.created", time: "2025-11-23T05:33:18Z", detail: { id: "1" } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["id"]);
  });
});
