import { z } from "zod";
import { ratingKindOf, type RatingFields } from "../src/core/surveys";
import { compact, emailSubject, eventId, ignored, isoMs } from "./delivery";
import { hmac, requireHeader, SignatureError, timingSafeEqualStr, toBase64 } from "./signature";
import { type Delivery, defineSource, type NormalizeContext, type VerifyInput } from "./source";

/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>` (base64, not hex),
 * sent only when the webhook has a secret; no timestamp (deduplicated on event_id).
 * https://www.typeform.com/developers/webhooks/secure-your-webhooks/
 *
 * A response counts as an NPS answer when it answers an `nps` question, or else an `opinion_scale`
 * question, with 0–10 (an opinion scale must run 0–10 to be read as NPS). The respondent's email comes from a hidden field named `email` or an email answer.
 *
 * CSAT and CES: a `rating` or `opinion_scale` question whose ref (set in Typeform's question settings, "Question
 * reference") is `csat` or `ces`, or starts with `csat_` / `ces_`, is read as that, on the scale the form
 * definition states (rating 1..steps, default 5; opinion scale 0 or 1..steps). Such a question is never NPS.
 * TENURE_CONFIG `surveys.typeform.csat` / `.ces` name the questions (by reference or field id) instead.
 */

const SIGNATURE_HEADER = "Typeform-Signature";

const definitionFieldSchema = z.looseObject({
  id: z.string().optional(),
  ref: z.string().optional(),
  type: z.string().optional(),
  properties: z.looseObject({ steps: z.number().int().positive().optional(), start_at_one: z.boolean().optional() }).nullable().optional(),
});

const answerSchema = z.looseObject({
  type: z.string(),
  field: z.looseObject({ id: z.string().optional(), type: z.string().optional(), ref: z.string().optional() }).optional(),
  number: z.number().optional(),
  email: z.string().optional(),
  text: z.string().optional(),
});
type Answer = z.infer<typeof answerSchema>;

export const typeformResponseSchema = z.looseObject({
  token: z.string().min(1),
  submitted_at: z.string().optional(),
  landed_at: z.string().optional(),
  hidden: z.record(z.string(), z.unknown()).nullable().optional(),
  definition: z.looseObject({ fields: z.array(definitionFieldSchema).nullable().optional() }).nullable().optional(),
  answers: z.array(answerSchema).nullable().optional(),
});

export const typeformPayloadSchema = z
  .looseObject({
    event_id: z.string().min(1),
    event_type: z.string().min(1),
    form_response: typeformResponseSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.event_type === "form_response" && !p.form_response) ctx.addIssue({ code: "custom", path: ["form_response"], message: "Required for a form_response event" });
  });
export type TypeformPayload = z.infer<typeof typeformPayloadSchema>;

async function verifyTypeform({ rawBody, headers, secret }: VerifyInput): Promise<void> {
  const header = requireHeader(headers, SIGNATURE_HEADER).trim();
  if (!header.startsWith("sha256=")) throw new SignatureError("malformed_signature", `${SIGNATURE_HEADER} must look like sha256=<base64>.`);
  const expected = toBase64(await hmac("SHA-256", secret, rawBody));
  if (!timingSafeEqualStr(expected, header.slice(7))) {
    throw new SignatureError(
      "bad_signature",
      "The Typeform signature does not match: check TYPEFORM_WEBHOOK_SECRET and that the raw body reaches Tenure unchanged.",
    );
  }
}

type Definition = z.infer<typeof definitionFieldSchema>;

function scaleOf(a: Answer, defs: readonly Definition[]): { min: number; max: number } {
  const props = defs.find((d) => (d.id !== undefined && d.id === a.field?.id) || (d.ref !== undefined && d.ref === a.field?.ref))?.properties;
  if (a.field?.type === "rating") return { min: 1, max: props?.steps ?? 5 };
  const min = props?.start_at_one ? 1 : 0;
  return { min, max: min + (props?.steps ?? 11) - 1 };
}

/** Every CSAT/CES answer of the response, with its scale; answers off their scale are dropped. */
function ratingAnswers(answers: readonly Answer[], defs: readonly Definition[], fields: RatingFields | undefined) {
  const out: { kind: "csat" | "ces"; ref: string; score: number; scale: { min: number; max: number } }[] = [];
  for (const a of answers) {
    const kind = ratingKindOf(a.field, fields);
    const ref = a.field?.ref ?? a.field?.id;
    if (!kind || !ref || (a.field?.type !== "rating" && a.field?.type !== "opinion_scale") || !Number.isInteger(a.number)) continue;
    const scale = scaleOf(a, defs);
    if (scale.max > 10 || a.number! < scale.min || a.number! > scale.max) continue;
    out.push({ kind, ref, score: a.number!, scale });
  }
  return out;
}

function npsScore(answers: readonly Answer[], fields: RatingFields | undefined): number | undefined {
  const scored = (kind: string) =>
    answers.find(
      (a) => a.field?.type === kind && !ratingKindOf(a.field, fields) && typeof a.number === "number" && Number.isInteger(a.number) && a.number >= 0 && a.number <= 10,
    )?.number;
  return scored("nps") ?? scored("opinion_scale");
}

function emailOf(hidden: Record<string, unknown> | null | undefined, answers: readonly Answer[]): string | undefined {
  const fromHidden = hidden?.email;
  if (typeof fromHidden === "string" && fromHidden.includes("@")) return fromHidden;
  return answers.find((a) => a.type === "email" && a.email)?.email;
}

const COMMENT_FIELDS = new Set(["long_text", "short_text"]);

function normalizeTypeform(p: TypeformPayload, raw: string, ctx: NormalizeContext): Delivery[] {
  const r = p.form_response;
  const occurredAt = isoMs(r?.submitted_at) ?? ctx.now;
  const base = { dedupeKey: p.event_id, vendorType: p.event_type, occurredAt, raw };
  if (p.event_type !== "form_response" || !r) return [ignored(base, `Tenure does not use ${p.event_type}`)];
  const answers = r.answers ?? [];
  const fields = ctx.surveys?.()?.typeform;
  const score = npsScore(answers, fields);
  const ratings = ratingAnswers(answers, r.definition?.fields ?? [], fields);
  if (score === undefined && ratings.length === 0) return [ignored(base, "the response has no 0–10 nps or opinion_scale answer, and no csat/ces rating")];
  const comment = answers.find((a) => a.type === "text" && COMMENT_FIELDS.has(a.field?.type ?? "") && a.text?.trim())?.text?.trim();
  const common = { source: "typeform" as const, occurredAt, subject: emailSubject(emailOf(r.hidden, answers)), type: "survey.responded" as const, ...compact({ comment }) };
  const events = [
    ...(score === undefined ? [] : [{ ...common, id: eventId("typeform", p.event_id), responseId: r.token, score }]),
    // One answer per rated question: each its own response id, so a form with NPS and CSAT keeps both.
    ...ratings.map((x) => ({ ...common, id: eventId("typeform", `${p.event_id}:${x.ref}`), responseId: `${r.token}:${x.ref}`, score: x.score, kind: x.kind, scale: x.scale })),
  ];
  return [{ ...base, events }];
}

export const typeformSource = defineSource({
  name: "typeform",
  secret: "TYPEFORM_WEBHOOK_SECRET",
  schema: typeformPayloadSchema,
  verify: verifyTypeform,
  normalize: (p, raw, ctx) => normalizeTypeform(p, raw, ctx),
});
