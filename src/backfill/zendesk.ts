import { z } from "zod";
import type { ConnectorDeps } from "../../connectors/connector";
import { retryAfterMs, isTransient } from "../../connectors/connector";
import { zendeskConnector } from "../../connectors/zendesk";
import { compact, contentKey, eventId, idString, isoMs } from "../../webhooks/delivery";
import type { Delivery } from "../../webhooks/source";
import { zendeskPriority, zendeskStatus } from "../../webhooks/zendesk";
import { DAY } from "../core/timeline";
import { zendeskApiBase } from "../env";
import { backfillKey } from "./ingest";
import { type Importer, type Page, PAGE_SIZE, VendorError } from "./types";

/**
 * Zendesk tickets of the last 90 days, from the cursor-based incremental export: each ticket as it stands
 * becomes one ticket.changed carrying its requester and organization ids, which the outbox looks up (as
 * for event-subscription webhooks). https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
 */

export const ZENDESK_BACKFILL_DAYS = 90;

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);
const ticketSchema = z.looseObject({
  id,
  status: z.string().nullish(),
  priority: z.string().nullish(),
  subject: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  requester_id: id.nullish(),
  organization_id: id.nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
const pageSchema = z.looseObject({ tickets: z.array(z.unknown()), after_cursor: z.string().nullish(), end_of_stream: z.boolean() });

export function zendeskTicketDelivery(record: unknown, now: number): Delivery {
  const raw = JSON.stringify(record);
  const parsed = ticketSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { dedupeKey: `backfill:unreadable:${contentKey(raw)}`, vendorType: "ticket.snapshot", occurredAt: now, events: [], ignoredReason: `unreadable Zendesk ticket at ${issue.path.join(".") || "(root)"}: ${issue.message}`, raw };
  }
  const t = parsed.data;
  const ticketId = idString(t.id);
  const occurredAt = isoMs(t.updated_at ?? undefined) ?? isoMs(t.created_at ?? undefined) ?? now;
  const status = zendeskStatus(t.status);
  if (t.status === "deleted" || !status) {
    const reason = t.status === "deleted" ? "a deleted ticket" : `unknown Zendesk status ${t.status}`;
    return { dedupeKey: backfillKey(`ticket:${ticketId}`, { ignored: reason }), vendorType: "ticket.snapshot", occurredAt, events: [], ignoredReason: reason, raw };
  }
  const subject = compact({
    zendeskUserId: t.requester_id === null || t.requester_id === undefined ? undefined : idString(t.requester_id),
    zendeskOrganizationId: t.organization_id === null || t.organization_id === undefined ? undefined : idString(t.organization_id),
  });
  const fact = {
    type: "ticket.changed" as const,
    desk: "zendesk" as const,
    ticketId,
    subject,
    status,
    ...compact({ priority: zendeskPriority(t.priority), tags: t.tags && t.tags.length ? t.tags : undefined, title: t.subject ?? undefined, openedAt: isoMs(t.created_at ?? undefined) }),
  };
  const dedupeKey = backfillKey(`ticket:${ticketId}`, fact);
  return { dedupeKey, vendorType: "ticket.snapshot", occurredAt, events: [{ ...fact, id: eventId("zendesk", dedupeKey), source: "zendesk", occurredAt }], raw };
}

export const zendeskImporter: Importer = {
  disabledReason: (cfg) => {
    const missing = zendeskConnector.disabledReason(cfg);
    return missing ? `set ${missing.replace(/ (is|are) not set$/, "")} (an API token of an agent who can read every ticket)` : null;
  },
  async fetchPage(deps: ConnectorDeps, object: string, cursor: string | null): Promise<Page> {
    if (object !== "tickets") throw new VendorError(`Tenure does not import Zendesk ${object}`, false);
    const base = zendeskApiBase(deps.cfg);
    const q = new URLSearchParams({ per_page: String(PAGE_SIZE) });
    if (cursor) q.set("cursor", cursor);
    else q.set("start_time", String(Math.floor((deps.now() - ZENDESK_BACKFILL_DAYS * DAY) / 1000)));
    let res: Response;
    let body: unknown;
    try {
      // https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based
      res = await deps.fetch(`${base}/api/v2/incremental/tickets/cursor.json?${q}`, {
        headers: { authorization: `Basic ${btoa(`${deps.cfg.ZENDESK_API_EMAIL ?? ""}/token:${deps.cfg.ZENDESK_API_TOKEN ?? ""}`)}`, accept: "application/json" },
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      throw new VendorError(`Zendesk unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    if (res.status !== 200) {
      const wait = retryAfterMs(res, deps.now());
      throw new VendorError(`Zendesk ${res.status}${wait === undefined ? "" : ` (retry after ${Math.ceil(wait / 1000)} s)`}: ${JSON.stringify(body).slice(0, 200)}`, isTransient(res.status));
    }
    const page = pageSchema.safeParse(body);
    if (!page.success) throw new VendorError("Zendesk answered 200 with a body that is not an incremental export page", true);
    const now = deps.now();
    const next = page.data.end_of_stream ? null : (page.data.after_cursor ?? null);
    return { deliveries: page.data.tickets.map((t) => zendeskTicketDelivery(t, now)), next: next === cursor ? null : next };
  },
};
