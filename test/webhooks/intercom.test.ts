import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { intercomCsat, intercomSource } from "../../webhooks/intercom";
import { fixture, fixturesOf, editedFixture, seconds } from "../support/fixtures";
import { signIntercom } from "../support/sign/intercom";
import { runSourceContract } from "./contract";

const SECRET = "client_secret_abc";

runSourceContract({
  source: intercomSource,
  secret: SECRET,
  fixtures: fixturesOf("intercom"),
  sign(body) {
    return signIntercom(this.secret, body);
  },
  timestamped: false,
  signatureHeaders: ["X-Hub-Signature"],
  unknownTypeBody: JSON.stringify({
    type: "notification_event",
    app_id: "k2h8d7ya",
    data: { type: "notification_event_data", item: { type: "contact", id: "6560a5f3b8b2c4a1e1d0f999", role: "user", email: "new@acme.example" } },
    id: "notif_0a0a0a0a-0000-4000-8000-000000000001",
    topic: "contact.user.created",
    created_at: 1763900000,
  }),
  malformedBody: JSON.stringify({
    type: "notification_event",
    data: { type: "notification_event_data", item: { type: "conversation", state: "open" } },
    id: "notif_0a0a0a0a-0000-4000-8000-000000000002",
    topic: "conversation.admin.closed",
    created_at: 1763900000,
  }),
  datedBody: (at) => editedFixture("intercom", "conversation.user.created", (j) => { j.created_at = seconds(at); j.id = `notif_dated_${at}`; }),
});

function normalize(name: string) {
  const raw = fixture("intercom", name);
  const deliveries = intercomSource.normalize(intercomSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

describe("intercom signature", () => {
  it("verifies the vector from the protocol notes", async () => {
    const input = { rawBody: '{"type":"notification_event"}', method: "POST", url: "", now: 0, secret: SECRET };
    const ok = new Headers({ "X-Hub-Signature": "sha1=02cff04fd9010b591fadf74eceb37b3b9e7ed7f2" });
    await expect(intercomSource.verify({ ...input, headers: ok })).resolves.toBeUndefined();
    const noPrefix = new Headers({ "X-Hub-Signature": "02cff04fd9010b591fadf74eceb37b3b9e7ed7f2" });
    await expect(intercomSource.verify({ ...input, headers: noPrefix })).rejects.toMatchObject({ reason: "malformed_signature" });
  });
});

describe("intercom normalization", () => {
  it("a user-created conversation opens a ticket, with the user's email and external id as subject", () => {
    const [d] = normalize("conversation.user.created");
    expect(d!.dedupeKey).toBe("notif_7c1f4a2e-1b0d-4f6e-9a3c-5d8e2b1c0a01");
    expect(d!.events[0]).toMatchObject({
      type: "ticket.changed",
      desk: "intercom",
      ticketId: "147000012345",
      status: "open",
      openedAt: 1763900400_000,
      occurredAt: 1763900401_000,
      title: "Webhook retries are piling up",
      subject: { email: "dana.ops@acme.example", domain: "acme.example", userId: "user_8812" },
    });
  });

  it("closed, priority and admin reply", () => {
    expect(normalize("conversation.admin.closed")[0]!.events[0]).toMatchObject({ status: "closed" });
    expect(normalize("conversation.priority.updated")[0]!.events[0]).toMatchObject({ priority: "high" });
    expect(normalize("conversation.admin.replied")[0]!.events[0]).toMatchObject({ firstResponseAt: 1763900990_000 });
  });

  it("a rating maps 1–5 linearly onto 0..100", () => {
    expect(normalize("conversation.rating.added")[0]!.events[0]).toMatchObject({ csat: 75 });
    expect([1, 2, 3, 4, 5].map(intercomCsat)).toEqual([0, 25, 50, 75, 100]);
  });

  it("the ping sent on save is an ignored delivery", () => {
    const [d] = normalize("ping");
    expect(d).toMatchObject({ vendorType: "ping", events: [], ignoredReason: expect.stringContaining("ping") });
    expect(d!.dedupeKey).toMatch(/^ping:/);
  });

  it("a conversation topic whose item has no id is a schema error at data.item.id", () => {
    const r = intercomSource.schema.safeParse({ topic: "conversation.admin.closed", created_at: 1, data: { item: { type: "conversation" } } });
    expect(r.error!.issues[0]!.path).toEqual(["data", "item", "id"]);
  });
});
