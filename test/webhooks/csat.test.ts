import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { csat } from "../../src/core/metrics/csat";
import { nps } from "../../src/core/metrics/nps";
import { emptyState } from "../../src/core/state";
import { delightedSource } from "../../webhooks/delighted";
import { typeformSource } from "../../webhooks/typeform";
import { editedFixture, fixture } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";
import { signTypeform } from "../support/sign/typeform";
import { ADMIN } from "../support/drain";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "./stripe-support";

function events(source: typeof delightedSource | typeof typeformSource, raw: string) {
  const ds = (source as any).normalize((source as any).schema.parse(JSON.parse(raw)), raw, { now: 0 });
  return ds.flatMap((d: any) => d.events.map((e: unknown) => normalizedEventSchema.parse(e)));
}

describe("CSAT and CES answers", () => {
  it("Delighted CSAT (1–5) and CES (1–7) surveys are read on their scales; NPS stays NPS", () => {
    expect(events(delightedSource, fixture("delighted", "survey_response.csat"))).toEqual([
      expect.objectContaining({ type: "survey.responded", responseId: "7702", kind: "csat", score: 4, scale: { min: 1, max: 5 } }),
    ]);
    expect(events(delightedSource, fixture("delighted", "survey_response.ces"))).toEqual([
      expect.objectContaining({ kind: "ces", score: 6, scale: { min: 1, max: 7 } }),
    ]);
    expect(events(delightedSource, fixture("delighted", "survey_response.created"))[0]).not.toHaveProperty("kind");
  });

  it("a Typeform rating or opinion scale whose ref is csat/ces is CSAT/CES on the form's scale, never NPS", () => {
    expect(events(typeformSource, fixture("typeform", "form_response.csat_rating"))).toEqual([
      expect.objectContaining({ responseId: "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4:csat", kind: "csat", score: 2, scale: { min: 1, max: 5 } }),
    ]);
    // An opinion scale referenced as ces_*, 1–7: CES; with an NPS question in the same form, both are kept.
    const both = editedFixture("typeform", "form_response.opinion_scale", (j) => {
      const f = j.form_response;
      f.definition.fields.push({ id: "Ce5", type: "opinion_scale", ref: "ces_support", properties: { steps: 7, start_at_one: true } });
      f.answers.push({ type: "number", number: 7, field: { id: "Ce5", type: "opinion_scale", ref: "ces_support" } });
    });
    const out = events(typeformSource, both);
    expect(out).toEqual([
      expect.objectContaining({ score: 10, responseId: "f1b0e2d9c8a7b6e5d4c3b2a1f0e9d8c7" }),
      expect.objectContaining({ kind: "ces", score: 7, scale: { min: 1, max: 7 }, responseId: "f1b0e2d9c8a7b6e5d4c3b2a1f0e9d8c7:ces_support" }),
    ]);
    expect(out[0]).not.toHaveProperty("kind");
    // Off its scale (8 on 1–7): dropped, not clamped.
    const off = both.replace('"number":7', '"number":8');
    expect(events(typeformSource, off)).toHaveLength(1);
  });

  it("signed answers through the route and queue: a CSAT metric beside NPS, with its sample, and NPS untouched", async () => {
    const now = Date.now();
    await postStripe(
      stripeEvent("customer.created", "evt_csat_cus", (o) => {
        o.id = "cus_csat";
        o.email = "charlie.gravis@acme.example";
        o.metadata = {};
      }),
    );
    await applyReceived();
    const recent = (j: any) => (j.event_data.created_at = j.event_data.updated_at = Math.floor(now / 1000) - 120);
    for (const name of ["survey_response.csat", "survey_response.ces", "survey_response.created"]) {
      const body = editedFixture("delighted", name, recent);
      const res = await SELF.fetch("https://tenure.example.com/webhooks/delighted", { method: "POST", body, headers: await signDelighted("delighted_secret", body) });
      expect(res.status).toBe(200);
    }
    const tf = editedFixture("typeform", "form_response.csat_rating", (j) => {
      j.form_response.submitted_at = new Date(now - 60_000).toISOString();
      j.form_response.answers[1].email = "lee@acme.example";
    });
    const res = await SELF.fetch("https://tenure.example.com/webhooks/typeform", { method: "POST", body: tf, headers: await signTypeform("typeform_secret", tf) });
    expect(res.status).toBe(200);
    await applyReceived();

    const c = await customerByStripeId("cus_csat");
    const kinds = Object.values(c.state.sentiment.responses).map((r: any) => r.kind ?? "nps").sort();
    expect(kinds).toEqual(["ces", "csat", "csat", "nps"]);
    // The newest rating is the Typeform answer, 2 on 1–5 = 25/100, in the sentiment component's words.
    expect(c.health.drivers).toContainEqual(expect.objectContaining({ factor: "sentiment.csat", detail: expect.stringMatching(/^latest CSAT survey rating 25\/100/) }));

    const m = await SELF.fetch(`https://tenure.example.com/api/metrics?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`, { headers: ADMIN });
    expect(m.status).toBe(200);
    const { metrics } = await m.json<any>();
    // 4 of 5 (satisfied) and 2 of 5 (not): 50 %, n = 2; CES 6 on 1–7 = 83.3 on 0–100; NPS sees only the 9.
    expect(metrics.csat).toMatchObject({ value: 50, unit: "percent", responses: 2, satisfied: 1, ces: 83.3, cesResponses: 1 });
    expect(metrics.nps).toMatchObject({ value: 100, responses: 1 });
  });

  it("the metric counts only answers in the window and is null without any", () => {
    const state = emptyState();
    state.sentiment.responses = {
      a: { score: 5, at: 10, by: "a", kind: "csat", scale: { min: 1, max: 5 } },
      b: { score: 1, at: 50, by: "b", kind: "csat", scale: { min: 1, max: 5 } },
      n: { score: 3, at: 10, by: "n" },
    };
    const customers = [{ id: "cu", name: null, band: null, stage: null, mrr: 0, segments: [], state }];
    expect(csat(customers, { from: 0, to: 20 })).toMatchObject({ value: 100, responses: 1 });
    expect(csat(customers, { from: 100, to: 200 })).toMatchObject({ value: null, responses: 0, ces: null });
    expect(nps(customers, { from: 0, to: 100 })).toMatchObject({ responses: 1, detractors: 1 });
  });
});
