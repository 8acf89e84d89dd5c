import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { delightedSource } from "../../webhooks/delighted";
import { fixture, fixturesOf, editedFixture, seconds } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";
import { runSourceContract } from "./contract";

const SECRET = "delighted_secret";

runSourceContract({
  source: delightedSource,
  secret: SECRET,
  fixtures: fixturesOf("delighted"),
  sign(body) {
    return signDelighted(this.secret, body);
  },
  timestamped: false,
  signatureHeaders: ["X-Delighted-Webhook-Signature"],
  unknownTypeBody: JSON.stringify({
    event_type: "unsubscribe.created",
    event_id: "e7c1a0b9d8f7e6d5c4b3a2918070605040302010f0e0d0c0b0a09080706050403",
    event_data: { person: { id: "5975", email: "charlie.gravis@acme.example", created_at: 1763800000 }, unsubscribed_at: 1763950000 },
  }),
  malformedBody: JSON.stringify({ event_type: "survey_response.updated", event_id: "x", event_data: { id: "5435", score: "nine", created_at: 1763900000 } }),
  datedBody: (at) => editedFixture("delighted", "survey_response.created", (j) => { j.event_data.updated_at = seconds(at); j.event_id = `dated-${at}`; }),
});

function normalize(name: string) {
  const raw = fixture("delighted", name);
  const deliveries = delightedSource.normalize(delightedSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

describe("delighted signature", () => {
  it("verifies a vector computed with Node's crypto (sha256=<hex>)", async () => {
    const headers = new Headers({ "X-Delighted-Webhook-Signature": "sha256=9c05cafbee296dbc2a367c3c25403913004564175eb135e3bb6c7d577ccf9743" });
    await expect(
      delightedSource.verify({ rawBody: '{"event_type":"survey_response.updated"}', headers, method: "POST", url: "", now: 0, secret: SECRET }),
    ).resolves.toBeUndefined();
  });
});

describe("delighted normalization", () => {
  it("each update is its own delivery for the same response id; the newer one carries the comment", () => {
    const [created] = normalize("survey_response.created");
    const [updated] = normalize("survey_response.updated");
    expect(created!.events[0]).toMatchObject({ type: "survey.responded", responseId: "5435", score: 9, occurredAt: 1763900000_000 });
    expect(created!.events[0]).not.toHaveProperty("comment");
    expect(updated!.events[0]).toMatchObject({
      type: "survey.responded",
      responseId: "5435",
      score: 9,
      comment: "Your exports are fast and flawless!",
      occurredAt: 1763900600_000,
      subject: { email: "charlie.gravis@acme.example", domain: "acme.example" },
    });
    expect(updated!.dedupeKey).not.toBe(created!.dedupeKey);
    expect(updated!.dedupeKey).toBe("5435:1763900600000");
  });

  it("non-NPS survey types are not read as NPS", () => {
    const raw = fixture("delighted", "survey_response.updated").replace('"survey_type": "nps"', '"survey_type": "csat"');
    const [d] = delightedSource.normalize(delightedSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
    expect(d).toMatchObject({ events: [], ignoredReason: expect.stringContaining("csat") });
  });
});
