import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { typeformSource } from "../../webhooks/typeform";
import { fixture, fixturesOf, editedFixture, iso } from "../support/fixtures";
import { signTypeform } from "../support/sign/typeform";
import { runSourceContract } from "./contract";

const SECRET = "typeform_secret";

runSourceContract({
  source: typeformSource,
  secret: SECRET,
  fixtures: fixturesOf("typeform"),
  sign(body) {
    return signTypeform(this.secret, body);
  },
  timestamped: false,
  signatureHeaders: ["Typeform-Signature"],
  unknownTypeBody: JSON.stringify({ event_id: "01JDNBZZPARTIAL0000000000", event_type: "form_response_partial", form_response: { token: "p1", answers: [] } }),
  malformedBody: JSON.stringify({ event_id: 12, event_type: "form_response", form_response: { token: "t", answers: [] } }),
  datedBody: (at) => editedFixture("typeform", "form_response.nps", (j) => { j.form_response.submitted_at = iso(at); j.event_id = `dated-${at}`; }),
});

function normalize(name: string) {
  const raw = fixture("typeform", name);
  const deliveries = typeformSource.normalize(typeformSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

describe("typeform signature", () => {
  it("verifies the vector from the protocol notes (base64, not hex)", async () => {
    const input = { rawBody: '{"event_id":"x"}', method: "POST", url: "", now: 0, secret: SECRET };
    const ok = new Headers({ "Typeform-Signature": "sha256=PvB1++M5AVaOh/hTvlHCidZoReAosTOqIL3LVdv0OUU=" });
    await expect(typeformSource.verify({ ...input, headers: ok })).resolves.toBeUndefined();
    const hex = new Headers({ "Typeform-Signature": "sha256=3ef075fbe33901568e87f853be51c289d66845e028b133aa20bdcb55dbf43945" });
    await expect(typeformSource.verify({ ...input, headers: hex })).rejects.toMatchObject({ reason: "bad_signature" });
  });
});

describe("typeform normalization", () => {
  it("an nps answer, the hidden email and the long-text reason; dedupe on event_id", () => {
    const [d] = normalize("form_response.nps");
    expect(d!.dedupeKey).toBe("01JDNB9Y2K7R4W8X3M5Q6T1V0Z");
    expect(d!.events[0]).toMatchObject({
      type: "survey.responded",
      responseId: "a3a12ec67a1365927098a606107fac15",
      score: 6,
      comment: "Onboarding took too long.",
      occurredAt: Date.parse("2025-11-23T18:17:02Z"),
      subject: { email: "pat@initech.example", domain: "initech.example" },
    });
  });

  it("an opinion scale 0–10 answer and an email answer", () => {
    expect(normalize("form_response.opinion_scale")[0]!.events[0]).toMatchObject({
      responseId: "f1b0e2d9c8a7b6e5d4c3b2a1f0e9d8c7",
      score: 10,
      subject: { email: "lee.park@umbrella.example", domain: "umbrella.example" },
    });
  });

  it("a response without a 0–10 answer is ignored; form_response without its body is a schema error", () => {
    const raw = JSON.stringify({ event_id: "e1", event_type: "form_response", form_response: { token: "t1", answers: [{ type: "text", text: "hi", field: { type: "short_text" } }] } });
    expect(typeformSource.normalize(typeformSource.schema.parse(JSON.parse(raw)), raw, { now: 0 })[0]).toMatchObject({ events: [] });
    expect(typeformSource.schema.safeParse({ event_id: "e2", event_type: "form_response" }).error!.issues[0]!.path).toEqual(["form_response"]);
  });
});
