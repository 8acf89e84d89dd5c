import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { helpscoutCsat, helpscoutSource } from "../../webhooks/helpscout";
import { fixture, fixturesOf, editedFixture, iso } from "../support/fixtures";
import { signHelpscout } from "../support/sign/helpscout";
import { runSourceContract } from "./contract";

const SECRET = "helpscout_secret";

runSourceContract({
  source: helpscoutSource,
  secret: SECRET,
  fixtures: fixturesOf("helpscout"),
  sign(body) {
    return signHelpscout(this.secret, body);
  },
  timestamped: false,
  signatureHeaders: ["X-HelpScout-Signature"],
  // A customer.created payload: a Customer object, neither a conversation nor a rating.
  unknownTypeBody: JSON.stringify({
    id: 449381,
    firstName: "Kim",
    lastName: "Lee",
    createdAt: "2025-11-23T08:00:00Z",
    modifiedAt: "2025-11-23T08:00:00Z",
    emails: [{ id: 1, value: "kim@acme.example", location: "work" }],
  }),
  malformedBody: JSON.stringify({ id: 291938, number: 349, status: 7, subject: "x" }),
  datedBody: (at) => editedFixture("helpscout", "convo.created", (j) => { j.userModifiedAt = j.modifiedAt = iso(at); }),
});

function normalize(name: string) {
  const raw = fixture("helpscout", name);
  const deliveries = helpscoutSource.normalize(helpscoutSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

describe("helpscout signature", () => {
  it("verifies the vector from the protocol notes", async () => {
    const headers = new Headers({ "X-HelpScout-Signature": "NqT/aT2T7oZhk3cXt/odcFlorG0=", "X-HelpScout-Event": "convo.created" });
    await expect(helpscoutSource.verify({ rawBody: '{"id":1}', headers, method: "POST", url: "", now: 0, secret: SECRET })).resolves.toBeUndefined();
  });
});

describe("helpscout normalization", () => {
  it("a new conversation is an open ticket with the customer as subject", () => {
    const [d] = normalize("convo.created");
    expect(d!.events[0]).toMatchObject({
      type: "ticket.changed",
      desk: "helpscout",
      ticketId: "291938",
      status: "open",
      title: "Billing portal shows the wrong plan",
      tags: ["billing"],
      openedAt: Date.parse("2025-11-23T12:34:12Z"),
      subject: { email: "lee.park@umbrella.example", domain: "umbrella.example" },
    });
  });

  it("a closed conversation, with tag objects read by name", () => {
    const [d] = normalize("convo.status");
    expect(d!.events[0]).toMatchObject({ status: "closed", tags: ["billing", "plan-mismatch"], occurredAt: Date.parse("2025-11-24T09:20:00Z") });
    expect(d!.dedupeKey).not.toBe(normalize("convo.created")[0]!.dedupeKey);
  });

  it("satisfaction ratings: great = 100, okay = 50, not good = 0", () => {
    const [great] = normalize("satisfaction.ratings");
    expect(great!.vendorType).toBe("satisfaction.ratings");
    expect(great!.events[0]).toMatchObject({ ticketId: "291938", csat: 100, subject: { email: "lee.park@umbrella.example" } });
    expect(normalize("satisfaction.ratings.okay")[0]!.events[0]).toMatchObject({ ticketId: "291940", csat: 50 });
    expect(["Great", "Okay", "Not Good", "not-good", "Bad"].map(helpscoutCsat)).toEqual([100, 50, 0, 0, 0]);
  });

  it("spam is not a ticket state", () => {
    const raw = JSON.stringify({ ...JSON.parse(fixture("helpscout", "convo.status")), status: "spam" });
    const [d] = helpscoutSource.normalize(helpscoutSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
    expect(d).toMatchObject({ events: [], ignoredReason: expect.stringContaining("spam") });
  });
});
