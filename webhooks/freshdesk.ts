import { z } from "zod";
import type { TicketPriority, TicketStatus } from "../src/core/events";
import { compact, contentKey, emailSubject, eventId, idString, ignored, isoMs } from "./delivery";
import { requireHeader, SignatureError, sha256, timingSafeEqualStr, toHex } from "./signature";
import { type Delivery, defineSource, type NormalizeContext, type VerifyInput } from "./source";

/**
 * Freshdesk has no webhook signature: a webhook is an action of an automation rule (ticket created /
 * ticket updated), with custom headers and a body the admin templates. Tenure authenticates it with a
 * shared token the rule sends as a custom header:
 *
 *   X-Tenure-Webhook-Token: <FRESHDESK_WEBHOOK_TOKEN>
 *
 * and expects this JSON body (Content: Advanced, JSON), pasted as-is:
 *
 *   {"freshdesk_webhook": {"ticket_id": "{{ticket.id}}", "ticket_status": "{{ticket.status}}",
 *     "ticket_priority": "{{ticket.priority}}", "ticket_subject": "{{ticket.subject}}",
 *     "ticket_tags": "{{ticket.tags}}", "ticket_contact_email": "{{ticket.requester.email}}",
 *     "triggered_event": "{{triggered_event}}"}}
 *
 * SLA: add `"ticket_due_by": "{{ticket.due_by_time}}"`, `"ticket_fr_due_by": "{{ticket.fr_due_by_time}}"` and, in an
 * "overdue"/escalation rule, `"ticket_is_escalated": "true"`: a ticket still open past either due time (ISO-8601),
 * or marked escalated, is an SLA breach (the API's `is_escalated` / `fr_escalated` fields are read too).
 *
 * Status and priority may arrive as names ("Resolved", "Medium") or as API codes (4, 2); an optional
 * "ticket_updated_at" (ISO-8601) is used as the time of the change when present, else the receipt time.
 * The token covers no bytes of the body, and there is no timestamp: only HTTPS protects the content.
 * https://support.freshdesk.com/support/solutions/articles/132589-using-webhooks-in-automation-rules
 */

export const FRESHDESK_TOKEN_HEADER = "X-Tenure-Webhook-Token";

const code = z.union([z.number().int(), z.string()]).nullable().optional();
const text = z.string().nullable().optional();

export const freshdeskTicketSchema = z.looseObject({
  ticket_id: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, "must be the ticket number (is the placeholder {{ticket.id}}?)")]),
  ticket_status: code,
  ticket_priority: code,
  ticket_subject: text,
  /** {{ticket.tags}} renders comma-separated. */
  ticket_tags: z.union([z.string(), z.array(z.string())]).nullable().optional(),
  ticket_contact_email: text,
  ticket_requester_email: text,
  ticket_updated_at: text,
  triggered_event: text,
  ticket_due_by: text,
  ticket_fr_due_by: text,
  ticket_is_escalated: z.union([z.boolean(), z.string()]).nullable().optional(),
  ticket_fr_escalated: z.union([z.boolean(), z.string()]).nullable().optional(),
  is_escalated: z.boolean().nullable().optional(),
  fr_escalated: z.boolean().nullable().optional(),
});
export const freshdeskPayloadSchema = z.looseObject({ freshdesk_webhook: freshdeskTicketSchema });
export type FreshdeskPayload = z.infer<typeof freshdeskPayloadSchema>;

async function verifyFreshdesk({ headers, secret }: VerifyInput): Promise<void> {
  const token = requireHeader(headers, FRESHDESK_TOKEN_HEADER);
  // Comparing digests keeps the comparison constant-time without revealing the token's length.
  const [a, b] = await Promise.all([sha256(token.trim()), sha256(secret)]);
  if (!timingSafeEqualStr(toHex(a), toHex(b))) {
    throw new SignatureError("bad_signature", `The ${FRESHDESK_TOKEN_HEADER} header does not match FRESHDESK_WEBHOOK_TOKEN.`);
  }
}

/** API codes and the default names; custom statuses (6+) are not mapped. */
const STATUS: Record<string, TicketStatus> = { "2": "open", open: "open", "3": "pending", pending: "pending", "4": "solved", resolved: "solved", "5": "closed", closed: "closed" };
const PRIORITY: Record<string, TicketPriority> = { "1": "low", low: "low", "2": "normal", medium: "normal", "3": "high", high: "high", "4": "urgent", urgent: "urgent" };
const lookup = <T>(table: Record<string, T>, v: string | number | null | undefined): T | undefined =>
  v === null || v === undefined ? undefined : table[String(v).trim().toLowerCase()];

function tagsOf(v: string | string[] | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  const tags = (Array.isArray(v) ? v : v.split(",")).map((t) => t.trim()).filter((t) => t !== "");
  return tags.length > 0 ? tags : undefined;
}

const truthy = (v: boolean | string | null | undefined) => v === true || (typeof v === "string" && /^(true|yes|1)$/i.test(v.trim()));

/** Escalated (overdue) by Freshdesk, or still unresolved after a due time: the ticket breached its SLA. */
function slaBreached(t: FreshdeskPayload["freshdesk_webhook"], status: TicketStatus | undefined, at: number): boolean {
  if (truthy(t.ticket_is_escalated) || truthy(t.ticket_fr_escalated) || t.is_escalated === true || t.fr_escalated === true) return true;
  if (status === "solved" || status === "closed") return false;
  const due = [isoMs(t.ticket_due_by), isoMs(t.ticket_fr_due_by)].filter((d): d is number => d !== undefined);
  return due.some((d) => at > d);
}

function normalizeFreshdesk(p: FreshdeskPayload, raw: string, ctx: NormalizeContext): Delivery[] {
  const t = p.freshdesk_webhook;
  const ticketId = idString(t.ticket_id);
  const updatedAt = isoMs(t.ticket_updated_at);
  const occurredAt = updatedAt ?? ctx.now;
  // Without a timestamp only the content tells a retry from a new change ({{triggered_event}} helps).
  const dedupeKey = updatedAt === undefined ? `${ticketId}:${contentKey(raw)}` : `${ticketId}:${updatedAt}`;
  const created = /ticket_action\s*:\s*created/i.test(t.triggered_event ?? "");
  const base = { dedupeKey, vendorType: created ? "ticket.created" : "ticket.updated", occurredAt, raw };
  const status = lookup(STATUS, t.ticket_status);
  const fact = compact({ status, priority: lookup(PRIORITY, t.ticket_priority), tags: tagsOf(t.ticket_tags), slaBreached: slaBreached(t, status, occurredAt) || undefined });
  if (fact.status === undefined && fact.priority === undefined && fact.tags === undefined && fact.slaBreached === undefined) {
    return [ignored(base, `no status, priority or tags Tenure recognises (status ${String(t.ticket_status ?? "none")})`)];
  }
  const event = {
    id: eventId("freshdesk", dedupeKey),
    source: "freshdesk" as const,
    occurredAt,
    subject: emailSubject(t.ticket_contact_email ?? t.ticket_requester_email),
    type: "ticket.changed" as const,
    desk: "freshdesk" as const,
    ticketId,
    ...fact,
    ...compact({ title: t.ticket_subject, openedAt: created ? occurredAt : undefined }),
  };
  return [{ ...base, events: [event] }];
}

export const freshdeskSource = defineSource({
  name: "freshdesk",
  secret: "FRESHDESK_WEBHOOK_TOKEN",
  schema: freshdeskPayloadSchema,
  verify: verifyFreshdesk,
  normalize: (p, raw, ctx) => normalizeFreshdesk(p, raw, ctx),
});
