import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { ratingKindOf } from "../../src/core/surveys";
import worker from "../../src/index";
import { editedFixture } from "../support/fixtures";
import { signTypeform } from "../support/sign/typeform";

/** A form whose CSAT question has the reference "satisfaction" and whose CES question is known only by its id. */
function customForm(eventId: string) {
  return editedFixture("typeform", "form_response.csat_rating", (j) => {
    j.event_id = eventId;
    const f = j.form_response;
    f.token = `tok_${eventId}`;
    f.submitted_at = new Date(Date.now() - 60_000).toISOString();
    f.definition.fields[0].ref = "satisfaction";
    f.answers[0].field.ref = "satisfaction";
    f.answers[0].number = 5;
    f.definition.fields.push({ id: "Eff0rt1d", type: "opinion_scale", ref: "9b2c0e5a-77c1-4c1e-b1a4-5d0f5e1f3a10", properties: { steps: 7, start_at_one: true } });
    f.answers.push({ type: "number", number: 6, field: { id: "Eff0rt1d", type: "opinion_scale", ref: "9b2c0e5a-77c1-4c1e-b1a4-5d0f5e1f3a10" } });
  });
}

/** The signed delivery through the real route, with TENURE_CONFIG set as a deployment would set it. */
async function post(body: string, tenureConfigJson?: string) {
  const ctx = createExecutionContext();
  const vars = tenureConfigJson === undefined ? {} : { TENURE_CONFIG: tenureConfigJson };
  const req = new Request("https://tenure.example.com/webhooks/typeform", { method: "POST", body, headers: { "content-type": "application/json", ...(await signTypeform("typeform_secret", body)) } });
  const res = await worker.fetch!(req as never, { ...env, ...vars } as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const stored = async (eventId: string) => {
  const r = await env.DB.prepare(`SELECT status, reason, normalized FROM inbox_events WHERE id = ?`).bind(`typeform:${eventId}`).first<{ status: string; reason: string | null; normalized: string }>();
  return { status: r!.status, reason: r!.reason, events: JSON.parse(r!.normalized) as any[] };
};

describe("Typeform CSAT/CES questions named in TENURE_CONFIG", () => {
  it("by default only the csat/ces references count: this form's questions are not read as CSAT or CES", async () => {
    const res = await post(customForm("evt_tf_default"));
    expect(res.status).toBe(200);
    const row = await stored("evt_tf_default");
    // Neither question is read as CSAT or CES; the opinion scale's 6 passes for an NPS answer, as it always has.
    expect(row.events).toHaveLength(1);
    expect(row.events[0]).toMatchObject({ type: "survey.responded", score: 6 });
    expect(row.events[0]).not.toHaveProperty("kind");
  });

  it("surveys.typeform names the CSAT question by reference and the CES question by field id", async () => {
    const config = JSON.stringify({ surveys: { typeform: { csat: ["satisfaction"], ces: ["Eff0rt1d"] } } });
    const res = await post(customForm("evt_tf_named"), config);
    expect(res.status, await res.clone().text()).toBe(200);
    const row = await stored("evt_tf_named");
    expect(row.status).toBe("received");
    expect(row.events).toEqual([
      expect.objectContaining({ type: "survey.responded", kind: "csat", score: 5, scale: { min: 1, max: 5 }, responseId: "tok_evt_tf_named:satisfaction" }),
      expect.objectContaining({ type: "survey.responded", kind: "ces", score: 6, scale: { min: 1, max: 7 }, responseId: "tok_evt_tf_named:9b2c0e5a-77c1-4c1e-b1a4-5d0f5e1f3a10" }),
    ]);
  });

  it("a named list replaces the naming convention for its kind only; an unnamed kind keeps it", () => {
    const rules = { csat: ["satisfaction"] };
    expect(ratingKindOf({ ref: "csat" }, rules)).toBeUndefined();
    expect(ratingKindOf({ ref: "satisfaction" }, rules)).toBe("csat");
    expect(ratingKindOf({ ref: "ces_support" }, rules)).toBe("ces");
    expect(ratingKindOf({ ref: "csat_app" })).toBe("csat");
    fc.assert(
      fc.property(fc.string(), fc.string(), (ref, id) => {
        // Without configuration the answer is the convention's, whatever the id.
        expect(ratingKindOf({ ref, id })).toBe(ratingKindOf({ ref }));
      }),
    );
  });

  it("a bad surveys value is a clear configuration error", () => {
    expect(() => tenureConfig(JSON.stringify({ surveys: { typeform: { csat: [] } } }))).toThrow(/TENURE_CONFIG: surveys.typeform.csat/);
    expect(() => tenureConfig(JSON.stringify({ surveys: { tyepform: {} } }))).toThrow(/TENURE_CONFIG/);
  });
});
