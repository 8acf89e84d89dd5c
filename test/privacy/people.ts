import { env, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { signHubspot } from "../support/sign/hubspot";
import { signIntercom } from "../support/sign/intercom";
import { signSegment } from "../support/sign/segment";
import { signZendesk } from "../support/sign/zendesk";
import { fixture } from "../support/fixtures";
import { carriedApp } from "../support/carried";

/** Signed webhooks about people, as the vendors send them, and a dump of every table to look for them in. */

export const BASE = "https://tenure.example.com";

export interface Person {
  hubspotContactId: number;
  email: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  /** Their Segment user id (an email, for the people the issue is about). */
  userId: string;
  domain: string;
  groupId: string;
}

export const DANA: Person = {
  hubspotContactId: 551,
  email: "Dana.Ops@Erase.example",
  firstName: "Dana",
  lastName: "Ostrowska",
  dateOfBirth: "1988-04-12",
  userId: "Dana.Ops@Erase.example",
  domain: "erase.example",
  groupId: "acct_erase",
};

/** Someone else at the same customer: nothing of theirs may go. */
export const MAREK: Person = {
  hubspotContactId: 553,
  email: "marek.quill@erase.example",
  firstName: "Marek",
  lastName: "Quillfeather",
  dateOfBirth: "1979-11-02",
  userId: "usr_marek_77",
  domain: "erase.example",
  groupId: "acct_erase",
};

/** At another customer. */
export const KIM: Person = {
  hubspotContactId: 602,
  email: "kim.keeper@keep.example",
  firstName: "Kimberly",
  lastName: "Keeperton",
  dateOfBirth: "1991-07-30",
  userId: "kim.keeper@keep.example",
  domain: "keep.example",
  groupId: "acct_keep",
};

let seq = 0;
const json = (v: unknown) => JSON.stringify(v);

/** Segment's deliveries go on the events queue, as deployed (QUEUE_CARRIED_SOURCES); drain() applies them. */
const carried = carriedApp("segment");

async function send(source: string, body: string, sign: (url: string) => Promise<Record<string, string>>) {
  const url = `${BASE}/webhooks/${source}`;
  const headers = { "content-type": "application/json", ...(await sign(url)) };
  const res = source === "segment" ? await carried.post(url, body, headers) : await SELF.fetch(url, { method: "POST", body, headers });
  expect(res.status, `${source}: ${await res.clone().text()}`).toBe(200);
}

export const hubspot = (body: string) => send("hubspot", body, (url) => signHubspot("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", body, { now: Date.now(), method: "POST", url }));
export const segment = (body: string) => send("segment", body, () => signSegment("segment_secret", body));
export const intercom = (body: string) => send("intercom", body, () => signIntercom("client_secret_abc", body));
export const zendesk = (body: string) => send("zendesk", body, () => signZendesk("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", body, { now: Date.now(), method: "POST", url: "" }));

function hubspotEvent(subscriptionType: string, objectId: number, extra: Record<string, unknown> = {}) {
  return { eventId: 9_000_000 + ++seq, subscriptionId: 2390560, portalId: 44551223, appId: 3215840, occurredAt: Date.now() - 60_000, subscriptionType, attemptNumber: 0, objectId, changeSource: "CRM_UI", ...extra };
}

export async function seedCompany(companyId: number, name: string, domain: string) {
  await hubspot(json([hubspotEvent("company.creation", companyId), hubspotEvent("company.propertyChange", companyId, { propertyName: "domain", propertyValue: domain }), hubspotEvent("company.propertyChange", companyId, { propertyName: "name", propertyValue: name })]));
}

/** A HubSpot contact with their email (mixed case), names and date of birth: one propertyChange per property, as HubSpot sends them. */
export async function seedHubspotContact(p: Person) {
  const change = (propertyName: string, propertyValue: string) => hubspotEvent("contact.propertyChange", p.hubspotContactId, { propertyName, propertyValue });
  await hubspot(json([change("email", p.email)]));
  await hubspot(json([change("firstname", p.firstName), change("lastname", p.lastName), change("date_of_birth", p.dateOfBirth), change("jobtitle", "Operations lead")]));
}

function segmentCall(p: Person, type: "identify" | "track", userId: string, extra: Record<string, unknown> = {}) {
  const at = new Date(Date.now() - 30_000).toISOString();
  return json({
    anonymousId: `anon-${p.groupId}-${p.hubspotContactId}`,
    context: { library: { name: "analytics.js", version: "next-1.70.0" }, ip: "203.0.113.7", groupId: p.groupId },
    integrations: {},
    messageId: `ajs-${type}-${p.hubspotContactId}-${++seq}`,
    originalTimestamp: at,
    receivedAt: at,
    sentAt: at,
    timestamp: at,
    type,
    userId,
    version: 2,
    ...extra,
  });
}

export const segmentIdentify = (p: Person) => segmentCall(p, "identify", p.userId, { traits: { email: p.email.toLowerCase(), name: `${p.firstName} ${p.lastName}`, role: "admin", birthday: p.dateOfBirth } });
/** A track call whose user id is their email in another case. */
export const segmentTrack = (p: Person, event = "Report Exported") => segmentCall(p, "track", p.userId.toUpperCase(), { event, properties: { format: "csv" } });

export function segmentGroup(p: Person, domain: string) {
  return json({
    anonymousId: `anon-group-${p.groupId}`,
    context: { library: { name: "analytics-node", version: "6.2.0" } },
    groupId: p.groupId,
    integrations: {},
    messageId: `node-group-${p.groupId}-${++seq}`,
    timestamp: new Date(Date.now() - 40_000).toISOString(),
    traits: { name: `${p.groupId} account`, website: `https://www.${domain}`, seats: 40, plan: "growth" },
    type: "group",
    userId: null,
    version: 2,
  });
}

/** An Intercom conversation they opened: their name in the author and in the title, their user id as external id. */
export function intercomConversation(p: Person, id: string) {
  const ev = JSON.parse(fixture("intercom", "conversation.user.created"));
  ev.id = `notif_${id}`;
  const item = ev.data.item;
  item.id = id;
  item.created_at = item.updated_at = ev.created_at = ev.first_sent_at = Math.floor(Date.now() / 1000) - 20;
  item.title = `${p.firstName} ${p.lastName} cannot export`;
  item.source.author = { type: "user", id: `ic_${p.hubspotContactId}`, name: `${p.firstName} ${p.lastName}`, email: p.email.toUpperCase() };
  item.contacts.contacts = [{ type: "contact", id: `ic_${p.hubspotContactId}`, external_id: p.userId }];
  return json(ev);
}

export function zendeskTicket(p: Person, id: string) {
  const at = new Date(Date.now() - 10 * 60_000).toISOString().slice(0, 16) + "Z";
  return json({ ticket: { id, status: "Open", priority: "High", tags: "export bug", title: `Exports time out for ${p.firstName}`, requester_email: p.email, created_at: at, updated_at: at } });
}

/** Everything the person left: their email, names, date of birth and user id, in any case. */
export function needlesOf(p: Person): string[] {
  return [p.email, p.firstName, p.lastName, p.dateOfBirth, p.userId].map((s) => s.toLowerCase());
}

/** Every column of every row of every table (customers.state included), as one lower-cased text per table. */
export async function dumpTables(): Promise<Map<string, string>> {
  const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'`).all<{ name: string }>();
  const out = new Map<string, string>();
  for (const { name } of results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    out.set(name, JSON.stringify(rows.results).toLowerCase());
  }
  return out;
}

/** Where any of the needles still occurs, as `table: needle` (empty when nothing of them is left). */
export async function occurrences(needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const [table, text] of await dumpTables()) for (const n of needles) if (text.includes(n)) found.push(`${table}: ${n}`);
  return found;
}
