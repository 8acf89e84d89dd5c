import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import worker from "../../src/index";
import type { Env } from "../../src/env";
import { signHubspot } from "../support/sign/hubspot";
import { signZendesk } from "../support/sign/zendesk";

export const PUBLIC_URL = "https://tenure.example.com";
const HUBSPOT_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
export const PORTAL = 44551223;

/** Zendesk API credentials: set only where a test means to look Zendesk up. */
export const ZENDESK_API = { ZENDESK_SUBDOMAIN: "acme-support", ZENDESK_API_EMAIL: "ops@tenure.example", ZENDESK_API_TOKEN: "zd-test-token-0123456789", ZENDESK_API_BASE: "https://zendesk.fake" };
export const withZendesk = { ...env, ...ZENDESK_API } as Env;

let seq = 0;

/** Runs the real queue handler on a batch, with the given bindings. */
export async function runQueueWith(bindings: Env, queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(queue, bodies.map((body) => ({ id: `enrich-${++seq}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<never>, bindings as never);
  return getQueueResult(batch, ctx);
}

/** Applies received events only (no delivery): what the events consumer does on its own. */
export async function applyEvents(bindings: Env = env as Env): Promise<void> {
  const events = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' LIMIT 100`).all<{ id: string }>();
  if (events.results.length) await runQueueWith(bindings, "tenure-events", events.results.map((r) => ({ eventId: r.id })));
}

/** Applies events and delivers due actions through the real consumers until nothing is left. */
export async function drainWith(bindings: Env, rounds = 12): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const events = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' LIMIT 100`).all<{ id: string }>();
    const now = Date.now();
    const actions = await env.DB.prepare(`SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) LIMIT 100`)
      .bind(now, now)
      .all<{ id: string }>();
    if (events.results.length === 0 && actions.results.length === 0) return;
    if (events.results.length) await runQueueWith(bindings, "tenure-events", events.results.map((r) => ({ eventId: r.id })));
    if (actions.results.length) await runQueueWith(bindings, "tenure-actions", actions.results.map((r) => ({ actionId: r.id })));
  }
}

let eventSeq = 9_100_000;

/** One HubSpot webhook event, as HubSpot sends it (a batch holds up to 100). */
export function hubspotEvent(subscriptionType: string, fields: Record<string, unknown>): Record<string, unknown> {
  eventSeq += 1;
  return { eventId: eventSeq, subscriptionId: 2390000 + (eventSeq % 97), portalId: PORTAL, appId: 3215840, occurredAt: Date.now() - 60_000 + (eventSeq % 1000), subscriptionType, attemptNumber: 0, changeSource: "CRM_UI", ...fields };
}

export async function postHubspot(events: Record<string, unknown>[]): Promise<Response> {
  const body = JSON.stringify(events);
  const url = `${PUBLIC_URL}/webhooks/hubspot`;
  const headers = await signHubspot(HUBSPOT_SECRET, body, { now: Date.now(), method: "POST", url });
  return SELF.fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

/** A Zendesk event-subscription ticket event (ids only, no requester email). */
export function zendeskTicketEvent(type: "created" | "status_changed", ticket: { id: string; requesterId: string; organizationId?: string; status?: string; eventId: string }): Record<string, unknown> {
  const at = new Date(Date.now() - 30_000).toISOString();
  return {
    account_id: 22129848,
    detail: {
      actor_id: "8447388090494", assignee_id: "8447388090494", brand_id: "8447346621310", created_at: at, description: "Exports are failing.",
      external_id: null, form_id: "8646151517822", group_id: "8447320466430", id: ticket.id, is_public: true, organization_id: ticket.organizationId ?? null,
      priority: "HIGH", requester_id: ticket.requesterId, status: ticket.status ?? "OPEN", subject: "Exports failing", submitter_id: ticket.requesterId,
      tags: ["exports"], type: "INCIDENT", updated_at: at, via: { channel: "web_form" },
    },
    event: type === "status_changed" ? { current: ticket.status ?? "SOLVED", previous: "OPEN" } : { meta: { sequence: { id: "01JDM6XQ4Q", position: 1 } } },
    id: ticket.eventId,
    subject: `zen:ticket:${ticket.id}`,
    time: at,
    type: `zen:event-type:ticket.${type}`,
    zendesk_event_version: "2022-11-06",
  };
}

export async function postZendesk(payload: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(payload);
  const url = `${PUBLIC_URL}/webhooks/zendesk`;
  const headers = await signZendesk(ZENDESK_SECRET, body, { now: Date.now(), method: "POST", url });
  return SELF.fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

export const inboxRow = (id: string) =>
  env.DB.prepare(`SELECT status, customer_id, reason FROM inbox_events WHERE id = ?`).bind(id).first<{ status: string; customer_id: string | null; reason: string | null }>();

/** Inbox rows of one source whose normalized facts name this string, oldest first. */
export async function rowsNaming(source: string, needle: string) {
  const { results } = await env.DB.prepare(`SELECT id, status, customer_id, reason FROM inbox_events WHERE source = ? AND instr(normalized, ?) > 0 ORDER BY occurred_at, id`)
    .bind(source, needle)
    .all<{ id: string; status: string; customer_id: string | null; reason: string | null }>();
  return results;
}

export const outboxRow = (id: string) =>
  env.DB.prepare(`SELECT status, attempts, last_error, result, next_attempt_at FROM outbox WHERE id = ?`).bind(id).first<{ status: string; attempts: number; last_error: string | null; result: string | null; next_attempt_at: number }>();
