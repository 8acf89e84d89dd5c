import { describe, expect, it } from "vitest";
import delightedDeclaration from "../../plugins/examples/delighted.json";
import { normalizedEventSchema } from "../../src/core/events";
import { parseSourceDeclaration } from "../../src/plugins/schema";
import { declaredSource } from "../../src/plugins/source";
import { delightedSource } from "../../webhooks/delighted";
import { SignatureError } from "../../webhooks/signature";
import type { WebhookSource } from "../../webhooks/source";
import { editedFixture, fixturesOf } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";

/**
 * The built-in Delighted source (webhooks/delighted.ts) re-expressed as a declaration
 * (plugins/examples/delighted.json): every Delighted fixture, and variants that exercise each of the built-in's
 * branches, signed the same way, give the same verification outcome and identical deliveries through both.
 */

const SECRET = "delighted_secret";
const parsed = parseSourceDeclaration(delightedDeclaration);
if (!parsed.ok) throw new Error(`plugins/examples/delighted.json: ${parsed.error.path}: ${parsed.error.message}`);
const declared = declaredSource(parsed.declaration);
const NOW = 1_764_000_000_000;

const bodies: Record<string, string> = {
  ...fixturesOf("delighted"),
  "number id, whitespace comment": editedFixture("delighted", "survey_response.updated", (j) => ((j.event_data.id = 5436), (j.event_data.comment = "  fine  "))),
  "no updated_at": editedFixture("delighted", "survey_response.created", (j) => delete j.event_data.updated_at),
  "null updated_at, blank comment": editedFixture("delighted", "survey_response.created", (j) => ((j.event_data.updated_at = null), (j.event_data.comment = "   "))),
  "no survey type (NPS)": editedFixture("delighted", "survey_response.csat", (j) => ((j.event_data.score = 8), delete j.event_data.survey_type)),
  enps: editedFixture("delighted", "survey_response.created", (j) => (j.event_data.survey_type = "ENPS")),
  "5star": editedFixture("delighted", "survey_response.csat", (j) => (j.event_data.survey_type = "5star")),
  "thumbs (not read)": editedFixture("delighted", "survey_response.created", (j) => (j.event_data.survey_type = "thumbs")),
  "csat off its scale": editedFixture("delighted", "survey_response.csat", (j) => (j.event_data.score = 9)),
  "ces off its scale": editedFixture("delighted", "survey_response.ces", (j) => (j.event_data.score = 0)),
  "no person": editedFixture("delighted", "survey_response.created", (j) => delete j.event_data.person),
  "unsubscribe (not read)": JSON.stringify({ event_type: "unsubscribe.created", event_id: "e7c1a0", event_data: { person: { id: "5975" } } }),
};

async function run(source: WebhookSource<unknown>, raw: string, headers: Record<string, string>) {
  try {
    await source.verify({ rawBody: raw, headers: new Headers(headers), method: "POST", url: "https://tenure.example.com/webhooks/delighted", now: NOW, secret: SECRET });
  } catch (err) {
    return { refused: err instanceof SignatureError ? err.reason : String(err) };
  }
  const payload = source.schema.parse(JSON.parse(raw));
  return {
    deliveries: source.normalize(payload, raw, { now: NOW }).map((d) => ({
      dedupeKey: d.dedupeKey,
      vendorType: d.vendorType,
      occurredAt: d.occurredAt,
      ignored: d.ignoredReason !== undefined,
      events: d.events,
      raw: d.raw,
    })),
  };
}

describe("Delighted as a declaration", () => {
  it.each(Object.entries(bodies))("%s: identical deliveries from the built-in and the declaration", async (_, raw) => {
    const headers = await signDelighted(SECRET, raw);
    const builtIn = await run(delightedSource, raw, headers);
    expect(builtIn).toHaveProperty("deliveries");
    expect(await run(declared, raw, headers)).toEqual(builtIn);
    for (const d of (builtIn as { deliveries: { events: unknown[] }[] }).deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  });

  it("refuses what the built-in refuses: a changed byte, another secret, a missing or malformed header", async () => {
    const raw = bodies["survey_response.created"]!;
    const cases: [string, Record<string, string>][] = [
      [`${raw} `, await signDelighted(SECRET, raw)],
      [raw, await signDelighted("another_secret", raw)],
      [raw, {}],
      [raw, { "X-Delighted-Webhook-Signature": "md5=abc" }],
    ];
    for (const [body, headers] of cases) {
      const builtIn = await run(delightedSource, body, headers);
      expect(builtIn).toHaveProperty("refused");
      expect(await run(declared, body, headers)).toEqual(builtIn);
    }
  });

  it("covers both outcomes: facts and ignored deliveries", async () => {
    const outcomes = await Promise.all(Object.values(bodies).map(async (raw) => run(declared, raw, await signDelighted(SECRET, raw))));
    const all = outcomes.flatMap((o) => ("deliveries" in o ? o.deliveries! : []));
    expect(all.filter((d) => d.ignored)).toHaveLength(4);
    expect(all.filter((d) => d.events.length === 1)).toHaveLength(Object.keys(bodies).length - 4);
  });
});
