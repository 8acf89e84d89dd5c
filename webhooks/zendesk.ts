import { z } from "zod";
import type { Subject, TicketPriority, TicketStatus } from "../src/core/events";
import { compact, contentKey, emailSubject, eventId, idString, ignored, isoMs } from "./delivery";
import { assertFresh, hmac, requireHeader, SignatureError, timingSafeEqualStr, toBase64 } from "./signature";
import { type Delivery, defineSource, type NormalizeContext, type VerifyInput } from "./source";

/**
 * Zendesk: base64(HMAC-SHA256(signing secret, timestamp + body)), the timestamp an ISO-8601 header.
 * https://developer.zendesk.com/documentation/webhooks/verifying/
 *
 * Two payload shapes are accepted:
 * 1. Event subscriptions (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/):
 *    `{ "type": "zen:event-type:ticket.status_changed", "id", "time", "detail": { ticket }, "event": {...} }`.
 *    These carry Zendesk ids only (no requester email), so identity comes from elsewhere.
 * 2. A trigger (or automation) whose webhook body is this template, JSON format, pasted as-is:
 *
 *    {"ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}", "priority": "{{ticket.priority}}",
 *      "tags": "{{ticket.tags}}", "title": "{{ticket.title}}", "requester_email": "{{ticket.requester.email}}",
 *      "created_at": "{{ticket.created_at_with_timestamp}}", "updated_at": "{{ticket.updated_at_with_timestamp}}",
 *      "satisfaction": "{{satisfaction.current_rating}}"}}
 *
 *    SLA: an automation with the condition "Hours since last SLA breach" (or a trigger on an SLA-breach tag) whose
 *    body adds `"sla_breached": "true"` marks the ticket's SLA as breached.
 *
 *    Each trigger firing is a snapshot of the ticket; the requester email lets Tenure find the customer.
 */

const SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature";
const TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp";
const TICKET_EVENT_PREFIX = "zen:event-type:ticket.";

const id = z.union([z.string().min(1), z.number().int().nonnegative()]);
const text = z.string().nullable().optional();

export const zendeskTicketDetailSchema = z.looseObject({
  id,
  status: text,
  priority: text,
  subject: text,
  tags: z.array(z.string()).nullable().optional(),
  created_at: text,
  updated_at: text,
  /** Ids only: connectors/zendesk looks the requester and organization up for their domains. */
  requester_id: id.nullable().optional(),
  organization_id: id.nullable().optional(),
});

export const zendeskTriggerTicketSchema = z.looseObject({
  id,
  status: text,
  priority: text,
  /** {{ticket.tags}} renders space-separated. */
  tags: z.union([z.string(), z.array(z.string())]).nullable().optional(),
  title: text,
  requester_email: text,
  created_at: text,
  updated_at: text,
  satisfaction: text,
  sla_breached: z.union([z.boolean(), z.string()]).nullable().optional(),
});

const payloadObject = z.looseObject({
  ticket: zendeskTriggerTicketSchema.optional(),
  type: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  time: z.string().optional(),
  detail: z.looseObject({}).optional(),
});
export type ZendeskPayload = z.infer<typeof payloadObject>;

/** Either a trigger body (`ticket`) or an event envelope; a ticket event's detail must be a ticket. */
export const zendeskPayloadSchema = payloadObject.superRefine((p, ctx) => {
  if (p.ticket) return;
  for (const key of ["type", "id", "time", "detail"] as const) {
    if (p[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `Required (an event payload has ${key}; a trigger payload has "ticket")` });
  }
  if (p.type?.startsWith(TICKET_EVENT_PREFIX) && p.detail) {
    const d = zendeskTicketDetailSchema.safeParse(p.detail);
    for (const issue of d.error?.issues ?? []) ctx.addIssue({ code: "custom", path: ["detail", ...issue.path], message: issue.message });
  }
});

async function verifyZendesk({ rawBody, headers, now, secret }: VerifyInput): Promise<void> {
  const signature = requireHeader(headers, SIGNATURE_HEADER);
  const timestamp = headers.get(TIMESTAMP_HEADER);
  if (!timestamp) throw new SignatureError("missing_timestamp", `The ${TIMESTAMP_HEADER} header is missing.`);
  const expected = toBase64(await hmac("SHA-256", secret, timestamp + rawBody));
  if (!timingSafeEqualStr(expected, signature.trim())) {
    throw new SignatureError(
      "bad_signature",
      "The Zendesk signature does not match: check ZENDESK_WEBHOOK_SECRET (the webhook's signing secret, used as-is) and that the raw body reaches Tenure unchanged.",
    );
  }
  // Zendesk states no replay window; Tenure applies its usual ±5 minutes.
  assertFresh(isoMs(timestamp) ?? NaN, now);
}

const STATUS: Record<string, TicketStatus> = { new: "open", open: "open", pending: "pending", hold: "pending", onhold: "pending", solved: "solved", closed: "closed" };
const PRIORITY: Record<string, TicketPriority> = { low: "low", normal: "normal", high: "high", urgent: "urgent" };

const key = (v: string | null | undefined) => (v ?? "").toLowerCase().replace(/[^a-z]/g, "");
export const zendeskStatus = (v: string | null | undefined): TicketStatus | undefined => STATUS[key(v)];
export const zendeskPriority = (v: string | null | undefined): TicketPriority | undefined => PRIORITY[key(v)];

/** Zendesk CSAT is binary: good = 100, bad = 0 ("Good, I'm satisfied" from the placeholder counts as good). */
function csatOf(v: string | null | undefined): number | undefined {
  const k = key(v);
  if (k.startsWith("good")) return 100;
  if (k.startsWith("bad")) return 0;
  return undefined;
}

function tagsOf(v: string | string[] | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  const list = Array.isArray(v) ? v : v.split(/\s+/);
  const tags = list.map((t) => t.trim()).filter((t) => t !== "");
  return tags.length > 0 ? tags : undefined;
}

function normalizeEvent(p: ZendeskPayload, raw: string, ctx: NormalizeContext): Delivery[] {
  const type = p.type ?? "unknown";
  const occurredAt = isoMs(p.time) ?? ctx.now;
  const base = { dedupeKey: p.id ?? contentKey(raw), vendorType: type, occurredAt, raw };
  if (!type.startsWith(TICKET_EVENT_PREFIX)) return [ignored(base, `Tenure does not use ${type}`)];
  const detail = zendeskTicketDetailSchema.parse(p.detail);
  const common = { id: eventId("zendesk", base.dedupeKey), source: "zendesk" as const, occurredAt, subject: idSubject(detail), type: "ticket.changed" as const, desk: "zendesk" as const, ticketId: idString(detail.id) };
  const action = type.slice(TICKET_EVENT_PREFIX.length);
  switch (action) {
    case "created": {
      const fact = compact({ status: zendeskStatus(detail.status) ?? "open", priority: zendeskPriority(detail.priority), tags: detail.tags ?? undefined, title: detail.subject, openedAt: isoMs(detail.created_at) ?? occurredAt });
      return [{ ...base, events: [{ ...common, ...fact }] }];
    }
    case "status_changed": {
      const status = zendeskStatus(detail.status);
      return status ? [{ ...base, events: [{ ...common, status }] }] : [ignored(base, `unknown Zendesk status ${detail.status}`)];
    }
    case "priority_changed": {
      const priority = zendeskPriority(detail.priority);
      return priority ? [{ ...base, events: [{ ...common, priority }] }] : [ignored(base, "priority cleared")];
    }
    case "tags_changed":
      return [{ ...base, events: [{ ...common, tags: detail.tags ?? [] }] }];
    default:
      return [ignored(base, `Tenure does not use ${type}`)];
  }
}

/** Until looked up, a ticket event is known by its requester and organization ids (listed as unmatched under them). */
function idSubject(detail: z.infer<typeof zendeskTicketDetailSchema>): Subject {
  return compact({
    zendeskUserId: detail.requester_id === null || detail.requester_id === undefined ? undefined : idString(detail.requester_id),
    zendeskOrganizationId: detail.organization_id === null || detail.organization_id === undefined ? undefined : idString(detail.organization_id),
  });
}

function normalizeTrigger(t: z.infer<typeof zendeskTriggerTicketSchema>, raw: string, ctx: NormalizeContext): Delivery[] {
  const ticketId = idString(t.id);
  const occurredAt = isoMs(t.updated_at) ?? ctx.now;
  // A trigger body has no delivery id; a retry repeats the same bytes, a new firing changes updated_at.
  const dedupeKey = `ticket:${ticketId}:${contentKey(raw)}`;
  const base = { dedupeKey, vendorType: "trigger", occurredAt, raw };
  const slaBreached = t.sla_breached === true || (typeof t.sla_breached === "string" && /^(true|yes|1)$/i.test(t.sla_breached.trim())) || undefined;
  const fact = compact({ status: zendeskStatus(t.status), priority: zendeskPriority(t.priority), csat: csatOf(t.satisfaction), tags: tagsOf(t.tags), title: t.title, openedAt: isoMs(t.created_at), slaBreached });
  if (fact.status === undefined && fact.priority === undefined && fact.csat === undefined && fact.tags === undefined && fact.slaBreached === undefined) {
    return [ignored(base, "the trigger body has no status, priority, satisfaction or tags Tenure recognises")];
  }
  const event = { id: eventId("zendesk", dedupeKey), source: "zendesk" as const, occurredAt, subject: emailSubject(t.requester_email), type: "ticket.changed" as const, desk: "zendesk" as const, ticketId, ...fact };
  return [{ ...base, events: [event] }];
}

export const zendeskSource = defineSource({
  name: "zendesk",
  secret: "ZENDESK_WEBHOOK_SECRET",
  schema: zendeskPayloadSchema,
  verify: verifyZendesk,
  normalize: (p, raw, ctx) => (p.ticket ? normalizeTrigger(p.ticket, raw, ctx) : normalizeEvent(p, raw, ctx)),
});
