import { z } from "zod";
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
 */

const SIGNATURE_HEADER = "Typeform-Signature";

const answerSchema = z.looseObject({
  type: z.string(),
  field: z.looseObject({ type: z.string().optional(), ref: z.string().optional() }).optional(),
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

function npsScore(answers: readonly Answer[]): number | undefined {
  const scored = (kind: string) =>
    answers.find((a) => a.field?.type === kind && typeof a.number === "number" && Number.isInteger(a.number) && a.number >= 0 && a.number <= 10)?.number;
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
  const score = npsScore(answers);
  if (score === undefined) return [ignored(base, "the response has no 0–10 nps or opinion_scale answer")];
  const comment = answers.find((a) => a.type === "text" && COMMENT_FIELDS.has(a.field?.type ?? "") && a.text?.trim())?.text?.trim();
  const event = {
    id: eventId("typeform", p.event_id),
    source: "typeform" as const,
    occurredAt,
    subject: emailSubject(emailOf(r.hidden, answers)),
    type: "survey.responded" as const,
    responseId: r.token,
    score,
    ...compact({ comment }),
  };
  return [{ ...base, events: [event] }];
}

export const typeformSource = defineSource({
  name: "typeform",
  secret: "TYPEFORM_WEBHOOK_SECRET",
  schema: typeformPayloadSchema,
  verify: verifyTypeform,
  normalize: (p, raw, ctx) => normalizeTypeform(p, raw, ctx),
});
