import { z } from "zod";
import type { SurveyKind } from "../src/core/events";
import { compact, contentKey, emailSubject, eventId, idString, ignored, secondsMs } from "./delivery";
import { hmac, requireHeader, SignatureError, timingSafeEqualStr, toHex } from "./signature";
import { type Delivery, defineSource, type NormalizeContext, type VerifyInput } from "./source";

/**
 * Delighted: `X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, no timestamp.
 * https://app.delighted.com/docs/api/webhooks
 *
 * A response fires survey_response.created when scored and survey_response.updated on every later
 * change (comment, additional answers): each is its own delivery, keyed by response id + updated_at,
 * and the reducer keeps the newest per response id.
 *
 * NPS and eNPS answers (0–10) are NPS; CSAT, 5-star and smiley surveys (1–5) are CSAT; CES (1–7, higher =
 * easier) is effort. Other survey types (thumbs, PMF) are ignored.
 */

const SIGNATURE_HEADER = "X-Delighted-Webhook-Signature";
const SURVEY_KINDS: Record<string, { kind: SurveyKind; scale?: { min: number; max: number } }> = {
  nps: { kind: "nps" },
  enps: { kind: "nps" },
  csat: { kind: "csat", scale: { min: 1, max: 5 } },
  "5star": { kind: "csat", scale: { min: 1, max: 5 } },
  smileys: { kind: "csat", scale: { min: 1, max: 5 } },
  ces: { kind: "ces", scale: { min: 1, max: 7 } },
};

export const delightedResponseSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int().nonnegative()]),
  person: z.looseObject({ email: z.string().nullable().optional() }).nullable().optional(),
  survey_type: z.string().optional(),
  score: z.number().int().min(0).max(10),
  comment: z.string().nullable().optional(),
  created_at: z.number().int().nonnegative(),
  updated_at: z.number().int().nonnegative().nullable().optional(),
});

const envelope = z.looseObject({
  event_type: z.string().min(1),
  event_id: z.string().optional(),
  event_data: z.looseObject({}),
});
export type DelightedPayload = z.infer<typeof envelope>;

/** The envelope; a survey_response event's data must be a scored response. */
export const delightedPayloadSchema = envelope.superRefine((p, ctx) => {
  if (!p.event_type.startsWith("survey_response.")) return;
  const r = delightedResponseSchema.safeParse(p.event_data);
  for (const issue of r.error?.issues ?? []) ctx.addIssue({ code: "custom", path: ["event_data", ...issue.path], message: issue.message });
});

async function verifyDelighted({ rawBody, headers, secret }: VerifyInput): Promise<void> {
  const header = requireHeader(headers, SIGNATURE_HEADER).trim();
  if (!header.startsWith("sha256=")) throw new SignatureError("malformed_signature", `${SIGNATURE_HEADER} must look like sha256=<hex>.`);
  const expected = toHex(await hmac("SHA-256", secret, rawBody));
  if (!timingSafeEqualStr(expected, header.slice(7).toLowerCase())) {
    throw new SignatureError(
      "bad_signature",
      "The Delighted signature does not match: check DELIGHTED_WEBHOOK_SECRET and that the raw body reaches Tenure unchanged.",
    );
  }
}

function normalizeDelighted(p: DelightedPayload, raw: string, ctx: NormalizeContext): Delivery[] {
  if (!p.event_type.startsWith("survey_response.")) {
    const dedupeKey = p.event_id ?? `${p.event_type}:${contentKey(raw)}`;
    return [ignored({ dedupeKey, vendorType: p.event_type, occurredAt: ctx.now, raw }, `Tenure does not use ${p.event_type}`)];
  }
  const r = delightedResponseSchema.parse(p.event_data);
  const responseId = idString(r.id);
  const occurredAt = secondsMs(r.updated_at ?? r.created_at) ?? ctx.now;
  const dedupeKey = `${responseId}:${occurredAt}`;
  const base = { dedupeKey, vendorType: p.event_type, occurredAt, raw };
  const surveyType = (r.survey_type ?? "nps").toLowerCase();
  const survey = Object.hasOwn(SURVEY_KINDS, surveyType) ? SURVEY_KINDS[surveyType]! : undefined;
  if (!survey) return [ignored(base, `Delighted ${surveyType} surveys are neither NPS, CSAT nor CES`)];
  const { scale } = survey;
  if (scale && (r.score < scale.min || r.score > scale.max)) return [ignored(base, `a ${surveyType} score of ${r.score} is outside ${scale.min}–${scale.max}`)];
  const event = {
    id: eventId("delighted", dedupeKey),
    source: "delighted" as const,
    occurredAt,
    subject: emailSubject(r.person?.email),
    type: "survey.responded" as const,
    responseId,
    score: r.score,
    ...(scale ? { kind: survey.kind, scale } : {}),
    ...compact({ comment: r.comment?.trim() }),
  };
  return [{ ...base, events: [event] }];
}

export const delightedSource = defineSource({
  name: "delighted",
  secret: "DELIGHTED_WEBHOOK_SECRET",
  schema: delightedPayloadSchema,
  verify: verifyDelighted,
  normalize: (p, raw, ctx) => normalizeDelighted(p, raw, ctx),
});
