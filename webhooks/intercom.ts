import { z } from "zod";
import type { Subject, TicketStatus } from "../src/core/events";
import { compact, contentKey, emailSubject, eventId, idString, ignored, secondsMs } from "./delivery";
import { hmac, requireHeader, SignatureError, timingSafeEqualStr, toHex } from "./signature";
import { type Delivery, defineSource, type VerifyInput } from "./source";

/**
 * Intercom webhooks: `X-Hub-Signature: sha1=<hex HMAC-SHA1(app client secret, raw body)>`, no timestamp
 * (replays are caught by deduplicating on the notification id).
 * https://developers.intercom.com/docs/webhooks/webhook-notifications
 */

const SIGNATURE_HEADER = "X-Hub-Signature";

const contactRef = z.looseObject({ id: z.string().optional(), external_id: z.string().nullable().optional() });

export const intercomConversationSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int().nonnegative()]),
  created_at: z.number().nonnegative().optional(),
  state: z.string().optional(),
  priority: z.string().optional(),
  title: z.string().nullable().optional(),
  source: z
    .looseObject({ author: z.looseObject({ type: z.string().optional(), email: z.string().nullable().optional() }).nullable().optional() })
    .nullable()
    .optional(),
  contacts: z.looseObject({ contacts: z.array(contactRef).optional() }).nullable().optional(),
  conversation_rating: z
    .looseObject({ rating: z.number().int().min(1).max(5).nullable().optional(), remark: z.string().nullable().optional() })
    .nullable()
    .optional(),
  statistics: z.looseObject({ first_admin_reply_at: z.number().nonnegative().nullable().optional() }).nullable().optional(),
  /** The SLA applied to the conversation: https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/conversation */
  sla_applied: z.looseObject({ sla_name: z.string().nullable().optional(), sla_status: z.string().nullable().optional() }).nullable().optional(),
});
type Conversation = z.infer<typeof intercomConversationSchema>;

const envelope = z.looseObject({
  type: z.string().optional(),
  /** null on the `ping` sent when the webhook is saved. */
  id: z.string().min(1).nullable().optional(),
  topic: z.string().min(1),
  created_at: z.number().int().nonnegative(),
  data: z.looseObject({ item: z.looseObject({}) }),
});
export type IntercomPayload = z.infer<typeof envelope>;

/** The envelope; for conversation topics the item must be a conversation Tenure can read. */
export const intercomPayloadSchema = envelope.superRefine((p, ctx) => {
  if (!p.topic.startsWith("conversation.")) return;
  const item = intercomConversationSchema.safeParse(p.data.item);
  for (const issue of item.error?.issues ?? []) ctx.addIssue({ code: "custom", path: ["data", "item", ...issue.path], message: issue.message });
});

async function verifyIntercom({ rawBody, headers, secret }: VerifyInput): Promise<void> {
  const header = requireHeader(headers, SIGNATURE_HEADER).trim();
  if (!header.startsWith("sha1=")) throw new SignatureError("malformed_signature", "X-Hub-Signature must look like sha1=<hex>.");
  const expected = toHex(await hmac("SHA-1", secret, rawBody));
  if (!timingSafeEqualStr(expected, header.slice(5).toLowerCase())) {
    throw new SignatureError(
      "bad_signature",
      "The Intercom signature does not match: check INTERCOM_CLIENT_SECRET (the app's client secret) and that the raw body reaches Tenure unchanged.",
    );
  }
}

const STATE_BY_TOPIC: Record<string, TicketStatus> = {
  "conversation.user.created": "open",
  "conversation.admin.opened": "open",
  "conversation.admin.closed": "closed",
  "conversation.admin.snoozed": "pending",
};
const USED_TOPICS = new Set([...Object.keys(STATE_BY_TOPIC), "conversation.rating.added", "conversation.priority.updated", "conversation.admin.replied"]);

/** Intercom rates 1–5; Tenure's CSAT is 0..100, linear (1 = 0, 3 = 50, 5 = 100). */
export const intercomCsat = (rating: number): number => ((rating - 1) / 4) * 100;

function subjectOf(c: Conversation): Subject {
  const author = c.source?.author;
  const person = author && author.type !== "admin" && author.type !== "bot" ? emailSubject(author.email) : {};
  return compact({ ...person, userId: c.contacts?.contacts?.[0]?.external_id ?? undefined });
}

function normalizeIntercom(p: IntercomPayload, raw: string): Delivery[] {
  const occurredAt = secondsMs(p.created_at) ?? 0;
  const dedupeKey = p.id ?? `${p.topic}:${contentKey(raw)}`;
  const base = { dedupeKey, vendorType: p.topic, occurredAt, raw };
  if (p.topic === "ping") return [ignored(base, "ping sent when the webhook was saved")];
  if (!USED_TOPICS.has(p.topic)) return [ignored(base, `Tenure does not use ${p.topic}`)];
  const c = intercomConversationSchema.parse(p.data.item);
  const common = { id: eventId("intercom", dedupeKey), source: "intercom" as const, occurredAt, subject: subjectOf(c), type: "ticket.changed" as const, desk: "intercom" as const, ticketId: idString(c.id) };
  const status = STATE_BY_TOPIC[p.topic];
  // Every conversation topic carries the conversation, and with it its SLA's status: "missed" is a breach.
  const sla = c.sla_applied?.sla_status === "missed" ? { slaBreached: true } : {};
  if (status) {
    const opened = p.topic === "conversation.user.created" ? compact({ openedAt: secondsMs(c.created_at) ?? occurredAt, title: c.title }) : {};
    return [{ ...base, events: [{ ...common, status, ...opened, ...sla }] }];
  }
  switch (p.topic) {
    case "conversation.rating.added": {
      const rating = c.conversation_rating?.rating;
      if (rating === undefined || rating === null) return [ignored(base, "rating event without a rating")];
      return [{ ...base, events: [{ ...common, csat: intercomCsat(rating), ...sla }] }];
    }
    case "conversation.priority.updated":
      // Intercom has two levels: "priority" and "not_priority".
      return [{ ...base, events: [{ ...common, priority: c.priority === "priority" ? "high" : "normal", ...sla }] }];
    case "conversation.admin.replied": {
      // The reducer keeps the earliest, so every admin reply is a first-response candidate.
      const firstResponseAt = secondsMs(c.statistics?.first_admin_reply_at) ?? occurredAt;
      return [{ ...base, events: [{ ...common, firstResponseAt, ...sla }] }];
    }
    default:
      return [ignored(base, `Tenure does not use ${p.topic}`)];
  }
}

export const intercomSource = defineSource({
  name: "intercom",
  secret: "INTERCOM_CLIENT_SECRET",
  schema: intercomPayloadSchema,
  verify: verifyIntercom,
  normalize: (p, raw) => normalizeIntercom(p, raw),
});
