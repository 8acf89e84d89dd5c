import { env, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { editedFixture } from "../support/fixtures";
import { ADMIN } from "../support/drain";
import { signHubspot } from "../support/sign/hubspot";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";
import { signZendesk } from "../support/sign/zendesk";

/** Real-shaped, signed deliveries of the sources identity resolution reads, for the identity tests. */

export const BASE = "https://tenure.example.com";
const json = (v: unknown) => JSON.stringify(v);

async function send(source: string, body: string, sign: (url: string) => Promise<Record<string, string>>) {
  const url = `${BASE}/webhooks/${source}`;
  const res = await SELF.fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...(await sign(url)) } });
  expect(res.status, `${source}: ${await res.clone().text()}`).toBe(200);
}

export const hubspot = (body: string) => send("hubspot", body, (url) => signHubspot("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", body, { now: Date.now(), method: "POST", url }));
export const stripe = (body: string) => send("stripe", body, () => signStripe(body));
export const zendesk = (body: string) => send("zendesk", body, () => signZendesk("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", body, { now: Date.now(), method: "POST", url: "" }));
export const segment = (body: string) => send("segment", body, () => signSegment("segment_secret", body));

let seq = 0;
const nowSec = () => Math.floor(Date.now() / 1000) - 60 + (++seq % 50);

export function stripeCustomer(id: string, email: string, metadata: Record<string, string>, type: "customer.created" | "customer.updated" = "customer.created") {
  return editedFixture("stripe", "customer.created", (e) => {
    e.id = `evt_${id}_${type}_${++seq}`;
    e.type = type;
    e.created = nowSec();
    e.data.object.id = id;
    e.data.object.email = email;
    e.data.object.name = `${id} Inc`;
    e.data.object.metadata = metadata;
  });
}

export function stripeInvoice(customer: string, email: string, invoiceId: string) {
  return editedFixture("stripe", "invoice.paid.first", (e) => {
    e.id = `evt_${invoiceId}`;
    e.created = nowSec();
    e.data.object.id = invoiceId;
    e.data.object.customer = customer;
    e.data.object.customer_email = email;
  });
}

export function hubspotCompany(companyId: number, props: Record<string, string>) {
  const at = Date.now() - 30_000;
  return json([
    { eventId: companyId * 10, subscriptionId: 2390544, portalId: 44551223, appId: 3215840, occurredAt: at, subscriptionType: "company.creation", attemptNumber: 0, objectId: companyId, changeFlag: "CREATED", changeSource: "CRM_UI", sourceId: "userId:1" },
    ...Object.entries(props).map(([propertyName, propertyValue], i) => ({
      eventId: companyId * 10 + 1 + i + ++seq * 1000,
      subscriptionId: 2390547,
      portalId: 44551223,
      appId: 3215840,
      occurredAt: at + 1000,
      subscriptionType: "company.propertyChange",
      attemptNumber: 0,
      objectId: companyId,
      propertyName,
      propertyValue,
      changeSource: "CRM_UI",
      sourceId: "userId:1",
    })),
  ]);
}

export function segmentGroup(groupId: string, userId: string, name: string, website?: string) {
  return editedFixture("segment", "group", (e) => {
    e.groupId = groupId;
    e.userId = userId;
    e.messageId = `msg-${groupId}-${++seq}`;
    e.traits = { name, seats: 12, plan: "growth", ...(website ? { website } : {}) };
    e.timestamp = e.originalTimestamp = new Date(Date.now() - 20_000).toISOString();
  });
}

export function segmentTrack(groupId: string, userId: string, event: string) {
  return editedFixture("segment", "track", (e) => {
    e.context.groupId = groupId;
    e.context.traits = {};
    e.userId = userId;
    e.event = event;
    e.messageId = `msg-track-${++seq}`;
    e.timestamp = e.originalTimestamp = new Date(Date.now() - 10_000).toISOString();
  });
}

export function zendeskTicket(id: string, email: string) {
  const at = new Date(Date.now() - 15_000).toISOString();
  return json({ ticket: { id, status: "Open", priority: "High", tags: "bug", title: "Exports time out", requester_email: email, created_at: at, updated_at: at } });
}

export async function customerOf(kind: string, value: string): Promise<string | null> {
  const r = await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = ? AND value = ?`).bind(kind, value).first<{ customer_id: string }>();
  return r?.customer_id ?? null;
}

export async function api(path: string, init: RequestInit = {}) {
  return SELF.fetch(`${BASE}/api${path}`, { ...init, redirect: "manual", headers: { ...ADMIN, "content-type": "application/json", ...(init.headers ?? {}) } });
}

export const merge = (into: string, from: string) => api(`/customers/${into}/merge`, { method: "POST", body: json({ from }) });
