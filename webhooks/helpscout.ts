import { z } from "zod";
import type { Subject, TicketStatus } from "../src/core/events";
import { compact, contentKey, emailSubject, eventId, idString, ignored, isoMs } from "./delivery";
import { hmac, requireHeader, SignatureError, timingSafeEqualStr, toBase64 } from "./signature";
import { type Delivery, defineSource, type NormalizeContext, type VerifyInput } from "./source";

/**
 * Help Scout: `X-HelpScout-Signature = base64(HMAC-SHA1(webhook secret, raw body))`, no timestamp.
 * https://developer.helpscout.com/webhooks/
 *
 * The event name travels in the X-HelpScout-Event header, which normalize does not see; the body is
 * the object itself, so the kind is read from its shape: a Rating object (`satisfaction.ratings`) has
 * `rating` and `ticketId`; a Conversation (`convo.*`) has `status` and `number`. Every `convo.*` event
 * is a snapshot of the conversation. Anything else (customer.*, tag.*, beacon.*) is ignored.
 */

const SIGNATURE_HEADER = "X-HelpScout-Signature";

const id = z.union([z.number().int().nonnegative(), z.string().min(1)]);
const person = z.looseObject({
  type: z.string().optional(),
  email: z.string().nullable().optional(),
  emails: z.array(z.looseObject({ value: z.string().optional() })).nullable().optional(),
});

/** Conversation and Rating objects share one lenient schema: only `id` is always there. */
export const helpscoutPayloadSchema = z.looseObject({
  id,
  /** Conversation */
  number: z.number().int().optional(),
  status: z.string().optional(),
  subject: z.string().nullable().optional(),
  customer: person.nullable().optional(),
  primaryCustomer: person.nullable().optional(),
  tags: z.array(z.union([z.string(), z.looseObject({ tag: z.string().optional(), name: z.string().optional() })])).nullable().optional(),
  createdAt: z.string().nullable().optional(),
  modifiedAt: z.string().nullable().optional(),
  userModifiedAt: z.string().nullable().optional(),
  closedAt: z.string().nullable().optional(),
  /** Rating */
  rating: z.string().optional(),
  ticketId: id.optional(),
  comments: z.string().nullable().optional(),
});
export type HelpscoutPayload = z.infer<typeof helpscoutPayloadSchema>;

async function verifyHelpscout({ rawBody, headers, secret }: VerifyInput): Promise<void> {
  const signature = requireHeader(headers, SIGNATURE_HEADER).trim();
  const expected = toBase64(await hmac("SHA-1", secret, rawBody));
  if (!timingSafeEqualStr(expected, signature)) {
    throw new SignatureError(
      "bad_signature",
      "The Help Scout signature does not match: check HELPSCOUT_WEBHOOK_SECRET and that the raw body reaches Tenure unchanged.",
    );
  }
}

const STATUS: Record<string, TicketStatus> = { active: "open", open: "open", pending: "pending", closed: "closed" };

/** Help Scout ratings are three-level: great = 100, okay = 50, not good (the API's "bad") = 0. */
const CSAT: Record<string, number> = { great: 100, okay: 50, notgood: 0, bad: 0 };
export const helpscoutCsat = (rating: string): number | undefined => CSAT[rating.toLowerCase().replace(/[^a-z]/g, "")];

function subjectOf(p: HelpscoutPayload): Subject {
  const c = p.primaryCustomer ?? p.customer;
  return emailSubject(c?.email ?? c?.emails?.find((e) => e.value)?.value);
}

function normalizeHelpscout(p: HelpscoutPayload, raw: string, ctx: NormalizeContext): Delivery[] {
  const at = (...candidates: (string | null | undefined)[]) => candidates.map(isoMs).find((t) => t !== undefined) ?? ctx.now;
  if (p.rating !== undefined && p.ticketId !== undefined) {
    const occurredAt = at(p.modifiedAt, p.createdAt);
    const dedupeKey = `rating:${idString(p.id)}:${occurredAt}`;
    const base = { dedupeKey, vendorType: "satisfaction.ratings", occurredAt, raw };
    const csat = helpscoutCsat(p.rating);
    if (csat === undefined) return [ignored(base, `unknown Help Scout rating ${p.rating}`)];
    const event = { id: eventId("helpscout", dedupeKey), source: "helpscout" as const, occurredAt, subject: subjectOf(p), type: "ticket.changed" as const, desk: "helpscout" as const, ticketId: idString(p.ticketId), csat };
    return [{ ...base, events: [event] }];
  }
  if (p.status !== undefined && p.number !== undefined) {
    const occurredAt = at(p.userModifiedAt, p.modifiedAt, p.closedAt, p.createdAt);
    // Several convo.* events can carry the same snapshot; identical bytes are one delivery.
    const dedupeKey = `convo:${idString(p.id)}:${contentKey(raw)}`;
    const base = { dedupeKey, vendorType: "convo.*", occurredAt, raw };
    const status = STATUS[p.status.toLowerCase()];
    if (!status) return [ignored(base, `Help Scout conversation status ${p.status} is not a support ticket state`)];
    const tags = (p.tags ?? []).map((t) => (typeof t === "string" ? t : (t.tag ?? t.name ?? ""))).filter((t) => t !== "");
    const fact = compact({ title: p.subject, openedAt: isoMs(p.createdAt), tags: tags.length > 0 ? tags : undefined });
    const event = { id: eventId("helpscout", dedupeKey), source: "helpscout" as const, occurredAt, subject: subjectOf(p), type: "ticket.changed" as const, desk: "helpscout" as const, ticketId: idString(p.id), status, ...fact };
    return [{ ...base, events: [event] }];
  }
  return [ignored({ dedupeKey: `other:${contentKey(raw)}`, vendorType: "other", occurredAt: at(p.modifiedAt, p.createdAt), raw }, "neither a conversation nor a satisfaction rating")];
}

export const helpscoutSource = defineSource({
  name: "helpscout",
  secret: "HELPSCOUT_WEBHOOK_SECRET",
  schema: helpscoutPayloadSchema,
  verify: verifyHelpscout,
  normalize: (p, raw, ctx) => normalizeHelpscout(p, raw, ctx),
});
