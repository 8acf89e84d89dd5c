import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { segmentSource } from "../../webhooks/segment";
import { fixture, fixturesOf, editedFixture, iso } from "../support/fixtures";
import { signSegment } from "../support/sign/segment";
import { runSourceContract } from "./contract";

const SECRET = "segment_secret";

runSourceContract({
  source: segmentSource,
  secret: SECRET,
  fixtures: fixturesOf("segment"),
  sign(body) {
    return signSegment(this.secret, body);
  },
  timestamped: false,
  signatureHeaders: ["X-Signature"],
  unknownTypeBody: JSON.stringify({ type: "alias", previousId: "anon-1", userId: "user_8812", messageId: "alias-0001", timestamp: "2025-11-23T12:00:00.000Z" }),
  malformedBody: JSON.stringify({ type: "track", event: 42, userId: "user_8812", messageId: "bad-0001", timestamp: "2025-11-23T12:00:00.000Z" }),
  datedBody: (at) => editedFixture("segment", "track", (j) => { j.timestamp = iso(at); j.messageId = `dated-${at}`; }),
  carried: true,
});

function normalize(name: string) {
  const raw = fixture("segment", name);
  const deliveries = segmentSource.normalize(segmentSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

describe("segment signature", () => {
  it("verifies the vector from the protocol notes", async () => {
    const headers = new Headers({ "X-Signature": "d283ff0cc6c1a12e872e2506de69902ce9a164db" });
    await expect(segmentSource.verify({ rawBody: '{"type":"track"}', headers, method: "POST", url: "", now: 0, secret: SECRET })).resolves.toBeUndefined();
  });
});

describe("segment normalization", () => {
  it("track: usage with the event name, the user, and the account from context.groupId; dedupe on messageId", () => {
    const [d] = normalize("track");
    expect(d!.dedupeKey).toBe("ajs-next-1763901234567-4f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098");
    expect(d!.events[0]).toMatchObject({
      id: `segment:${d!.dedupeKey}`,
      type: "usage.tracked",
      event: "Report Exported",
      userId: "user_8812",
      occurredAt: Date.parse("2025-11-23T12:34:00.122Z"),
      subject: { userId: "user_8812", segmentGroupId: "acct_5521", email: "dana.ops@acme.example", domain: "acme.example" },
    });
  });

  it("an anonymous track counts under its anonymousId, without a subject userId", () => {
    const raw = JSON.stringify({ type: "track", event: "Signed Up", anonymousId: "anon-77", messageId: "m-1", timestamp: "2025-11-23T12:00:00Z" });
    const [d] = segmentSource.normalize(segmentSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
    expect(d!.events[0]).toMatchObject({ userId: "anon-77", subject: {} });
  });

  it("identify: email (lowercased) and role", () => {
    expect(normalize("identify")[0]!.events[0]).toMatchObject({
      type: "user.identified",
      userId: "user_8812",
      email: "dana.ops@acme.example",
      role: "admin",
      name: "Dana Ops",
      subject: { userId: "user_8812", email: "dana.ops@acme.example", domain: "acme.example" },
    });
  });

  it("group: account name, domain from website, seats and plan", () => {
    expect(normalize("group")[0]!.events[0]).toMatchObject({
      type: "account.grouped",
      groupId: "acct_5521",
      userId: "user_8812",
      name: "Acme Corp",
      domain: "acme.example",
      seats: 40,
      plan: "growth",
      subject: { segmentGroupId: "acct_5521", domain: "acme.example", name: "Acme Corp", userId: "user_8812" },
    });
  });

  it("page calls are ignored", () => {
    expect(normalize("page")[0]).toMatchObject({ vendorType: "page", events: [] });
  });

  it("a call without userId or anonymousId is a schema error; an unknown call type is one at `type`", () => {
    expect(segmentSource.schema.safeParse({ type: "track", event: "x", messageId: "m" }).error!.issues[0]!.path).toEqual(["userId"]);
    expect(segmentSource.schema.safeParse({ type: "batch", messageId: "m", userId: "u" }).error!.issues[0]!.path).toEqual(["type"]);
  });
});
