import { z } from "zod";
import type { NormalizedEvent } from "./events";
import { setEntry } from "./keyed";

/**
 * Erasure of one person, as pure functions: which facts are theirs, what identifies them, and how a fact,
 * a payload or any JSON value is rewritten so nothing of them is left. Matching is case-insensitive and
 * works on parsed values (a payload may spell an email in any case, or escape it).
 */

export const ERASED = "[erased]";

export const personIdsSchema = z.object({
  /** Lower-cased. Matched as substrings everywhere. */
  emails: z.array(z.string()),
  /** Segment user and anonymous ids, every spelling seen (state hashes them as sent). Matched whole, case-insensitively. */
  userIds: z.array(z.string()),
  /** Lower-cased "first last" / display names: matched as substrings everywhere. */
  fullNames: z.array(z.string()),
  /** Lower-cased single name words: matched as words, only inside the person's own facts. */
  names: z.array(z.string()),
  /** Other personal values of theirs (date of birth, phone), lower-cased: only inside their own facts. */
  values: z.array(z.string()),
  hubspotContactIds: z.array(z.string()),
  /** Survey answers they gave: their comments leave customer state. */
  responseIds: z.array(z.string()),
  /** Tickets they opened (`${desk}:${ticketId}`, as state keys them): their subjects leave customer state. */
  ticketIds: z.array(z.string()).default([]),
  /** Customers they were seen with. */
  customerIds: z.array(z.string()),
  /** User id (as spelled) -> the stable pseudonym facts and state carry instead; two spellings stay two users. */
  pseudonyms: z.record(z.string(), z.string()),
});
export type PersonIds = z.infer<typeof personIdsSchema>;

export function emptyPersonIds(): PersonIds {
  return { emails: [], userIds: [], fullNames: [], names: [], values: [], hubspotContactIds: [], responseIds: [], ticketIds: [], customerIds: [], pseudonyms: {} };
}

/** Contact properties that are not about the person (kept when their other properties are erased). */
const KEPT_CONTACT_PROPERTIES = new Set(["jobtitle", "lifecyclestage", "hs_lead_status", "hubspot_owner_id"]);
const NAME_KEY = /^(name|full_?name|display_?name|first_?name|last_?name|given_?name|family_?name|firstname|lastname)$/i;
const EMAIL_KEY = /e-?mail/i;
const USER_ID_KEY = /^(user_?id|anonymous_?id)$/i;
const VALUE_KEY = /^(birthday|date_?of_?birth|dob|phone|mobile_?phone|phone_?number|address|street|zip|postal_?code)$/i;

const add = (list: string[], v: string | null | undefined) => {
  const t = v?.trim();
  if (t && !list.includes(t)) list.push(t);
};
const lower = (v: string | null | undefined) => v?.trim().toLowerCase();

function addName(ids: PersonIds, name: string | null | undefined): void {
  const n = lower(name);
  if (!n) return;
  const words = n.split(/\s+/).filter((w) => w.length >= 2);
  for (const w of words) add(ids.names, w);
  if (words.length >= 2) add(ids.fullNames, words.join(" "));
}

function addEmail(ids: PersonIds, email: string | null | undefined): void {
  const e = lower(email);
  if (e && e.includes("@")) add(ids.emails, e);
}

function addUserId(ids: PersonIds, userId: string | null | undefined): void {
  add(ids.userIds, userId);
  if (userId?.includes("@")) addEmail(ids, userId);
}

const userIdsOf = (e: NormalizedEvent): (string | undefined)[] => [
  e.subject.userId,
  e.type === "usage.tracked" || e.type === "user.identified" || e.type === "account.grouped" ? e.userId : undefined,
];
const emailsOf = (e: NormalizedEvent): (string | undefined)[] => [e.subject.email, e.type === "contact.changed" || e.type === "user.identified" ? e.email : undefined];
const contactIdOf = (e: NormalizedEvent): string | undefined =>
  e.type === "contact.changed" || e.type === "contact.erased" ? e.contactId : e.subject.hubspotContactId;

/** True when the fact is about this person: their HubSpot contact, one of their emails or user ids. */
export function personOwns(e: NormalizedEvent, ids: PersonIds): boolean {
  const contactId = contactIdOf(e);
  if (contactId !== undefined && ids.hubspotContactIds.includes(contactId)) return true;
  if (emailsOf(e).some((m) => m !== undefined && ids.emails.includes(m.trim().toLowerCase()))) return true;
  const userIds = lowerAll(ids.userIds);
  return userIdsOf(e).some((u) => u !== undefined && (userIds.has(u.toLowerCase()) || ids.emails.includes(u.toLowerCase())));
}

/** What a fact of theirs adds to what identifies them. */
export function learnFromEvent(e: NormalizedEvent, ids: PersonIds, customerId: string | null): void {
  for (const m of emailsOf(e)) addEmail(ids, m);
  for (const u of userIdsOf(e)) if (u !== undefined && !isPseudonym(u)) addUserId(ids, u);
  const contactId = contactIdOf(e);
  if (contactId !== undefined) add(ids.hubspotContactIds, contactId);
  if (customerId) add(ids.customerIds, customerId);
  if (e.type === "user.identified") addName(ids, e.name);
  if (e.type === "survey.responded") add(ids.responseIds, e.responseId);
  if (e.type === "ticket.changed") add(ids.ticketIds, `${e.desk}:${e.ticketId}`);
  if (e.type === "contact.changed") {
    const p = e.properties;
    const first = p.firstname ?? p.first_name;
    const last = p.lastname ?? p.last_name;
    if (first && last) addName(ids, `${first} ${last}`);
    else addName(ids, first ?? last);
    for (const [k, v] of Object.entries(p)) {
      if (v === null || KEPT_CONTACT_PROPERTIES.has(k)) continue;
      if (EMAIL_KEY.test(k)) addEmail(ids, v);
      else if (NAME_KEY.test(k)) addName(ids, v);
      else if (VALUE_KEY.test(k)) add(ids.values, lower(v));
    }
  }
}

/**
 * What a raw payload of theirs adds: emails, names, user and anonymous ids, birthdays and phones, by the
 * keys vendors use for them. Not for account-level payloads, whose `name` is a company's.
 */
export function learnFromPayload(payload: unknown, ids: PersonIds): void {
  walk(payload, (key, v) => {
    if (EMAIL_KEY.test(key)) addEmail(ids, v);
    else if (USER_ID_KEY.test(key)) addUserId(ids, v);
    else if (NAME_KEY.test(key)) addName(ids, v);
    else if (VALUE_KEY.test(key)) add(ids.values, lower(v));
  });
}

/** Account-level facts: their names and payloads are a company's, not a person's. */
export function isAccountFact(e: NormalizedEvent): boolean {
  return e.type === "account.grouped" || e.type === "company.changed" || e.type === "company.removed" || e.type === "customer.profile";
}

function walk(value: unknown, visit: (key: string, v: string) => void, key = ""): void {
  if (typeof value === "string") visit(key, value);
  else if (typeof value === "number" && USER_ID_KEY.test(key)) visit(key, String(value));
  else if (Array.isArray(value)) for (const v of value) walk(v, visit, key);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, visit, k);
}

const lowerAll = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
export const isPseudonym = (userId: string) => userId.startsWith("erased:");

/**
 * Whether a string names the person: one of their emails or full names anywhere in it, or a contact key of
 * theirs (`segment:<user id>`); `own` (inside their own facts) adds a user id of theirs as the whole value
 * (elsewhere a short id like "u1" would hit unrelated words), their single name words and other values.
 */
export function mentions(s: string, ids: PersonIds, own: boolean): boolean {
  const v = s.toLowerCase();
  if (ids.emails.some((e) => v.includes(e)) || ids.fullNames.some((n) => v.includes(n))) return true;
  const userIds = lowerAll(ids.userIds);
  if (v.startsWith("segment:") && userIds.has(v.slice(8))) return true;
  if (!own) return false;
  if (userIds.has(v)) return true;
  if (ids.values.some((x) => v.includes(x))) return true;
  return v.split(/[^\p{L}\p{N}'-]+/u).some((w) => w.length >= 2 && ids.names.includes(w));
}

/** Every string of a JSON value that names the person becomes "[erased]" (a key, "[erased]", "[erased]1", …). */
export function scrubValue(value: unknown, ids: PersonIds, own: boolean): { value: unknown; changed: boolean } {
  let changed = false;
  const go = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (v !== ERASED && mentions(v, ids, own)) {
        changed = true;
        return ERASED;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map(go);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      let n = 0;
      for (const [k, x] of Object.entries(v)) {
        let key = k;
        // Keys are matched on identifiers only: a name word would rename a feature or a property.
        if (mentions(k, ids, false)) {
          changed = true;
          key = `${ERASED}${n++ || ""}`;
        }
        setEntry(out, key, go(x));
      }
      return out;
    }
    return v;
  };
  const out = go(value);
  return { value: out, changed };
}

/** A fact of theirs with every person field erased: emails, names, their contact properties; user ids become their pseudonym. */
export function scrubOwnEvent(e: NormalizedEvent, ids: PersonIds): NormalizedEvent {
  const out = structuredClone(e) as NormalizedEvent & Record<string, unknown>;
  const pseudonym = (u: string) => ids.pseudonyms[u] ?? ERASED;
  if (out.subject.email !== undefined) out.subject.email = ERASED;
  if (out.subject.userId !== undefined) out.subject.userId = pseudonym(out.subject.userId);
  if (out.subject.name !== undefined && !isAccountFact(e)) out.subject.name = ERASED;
  switch (out.type) {
    case "user.identified":
      out.userId = pseudonym(out.userId);
      if (out.email !== undefined) out.email = ERASED;
      if (out.name !== undefined) out.name = ERASED;
      break;
    case "usage.tracked":
      out.userId = pseudonym(out.userId);
      break;
    case "account.grouped":
      if (out.userId !== undefined) out.userId = pseudonym(out.userId);
      break;
    case "contact.changed":
      if (out.email !== undefined) out.email = ERASED;
      for (const k of Object.keys(out.properties)) if (!KEPT_CONTACT_PROPERTIES.has(k) && out.properties[k] !== null) out.properties[k] = ERASED;
      break;
    case "survey.responded":
      if (out.comment !== undefined) out.comment = ERASED;
      break;
    // Their own words: a fact arriving after the erasure may name them in ways no identifier catches.
    case "ticket.changed":
      if (out.title !== undefined) out.title = ERASED;
      break;
    default:
      break;
  }
  return scrubValue(out, ids, !isAccountFact(e)).value as NormalizedEvent;
}

/**
 * One stored row's facts: those that are theirs lose every person field, any other that mentions them loses
 * those strings. `own` says the row was about them (its raw payload then goes whole).
 */
export function scrubEvents(events: readonly NormalizedEvent[], ids: PersonIds): { events: NormalizedEvent[]; own: boolean; changed: boolean } {
  let own = false;
  let changed = false;
  const out = events.map((e) => {
    if (personOwns(e, ids)) {
      own = true;
      changed = true;
      return scrubOwnEvent(e, ids);
    }
    const r = scrubValue(e, ids, false);
    changed ||= r.changed;
    return r.value as NormalizedEvent;
  });
  return { events: out, own, changed };
}

/** What identifies the person an erasure starts from: the contact's id, and its email and name as stored. */
export function seedPersonIds(contact: { id: string; email?: string | null; name?: string | null; customerId?: string | null }): PersonIds {
  const ids = emptyPersonIds();
  learnFromContact(contact, ids);
  return ids;
}

/** A contacts row (`hubspot:<id>`, `segment:<user id>`) is theirs by its id or its email. */
export function contactIsTheirs(contact: { id: string; email?: string | null }, ids: PersonIds): boolean {
  const [kind, ...rest] = contact.id.split(":");
  const ref = rest.join(":");
  if (kind === "hubspot" && ids.hubspotContactIds.includes(ref)) return true;
  if (kind === "segment" && (lowerAll(ids.userIds).has(ref.toLowerCase()) || ids.emails.includes(ref.toLowerCase()))) return true;
  const email = lower(contact.email);
  return email !== undefined && ids.emails.includes(email);
}

export function learnFromContact(contact: { id: string; email?: string | null; name?: string | null; customerId?: string | null }, ids: PersonIds): void {
  const [kind, ...rest] = contact.id.split(":");
  const ref = rest.join(":");
  if (kind === "hubspot") add(ids.hubspotContactIds, ref);
  else if (kind === "segment" && !isPseudonym(ref)) addUserId(ids, ref);
  addEmail(ids, contact.email);
  addName(ids, contact.name);
  if (contact.customerId) add(ids.customerIds, contact.customerId);
}

/** The lower-cased identifiers a later fact can be recognised by: emails, user ids, `hubspot:<contact id>`. */
export function tombstoneKeys(ids: PersonIds): string[] {
  return [...new Set([...ids.emails, ...ids.userIds.map((u) => u.toLowerCase()), ...ids.hubspotContactIds.map((c) => `hubspot:${c}`)])];
}

/** The same keys, read off one fact (whoever it is about). */
export function eventKeys(e: NormalizedEvent): { emails: string[]; userIds: string[]; contactIds: string[] } {
  const emails = emailsOf(e).flatMap((m) => (m && m !== ERASED ? [m.trim().toLowerCase()] : []));
  const userIds = userIdsOf(e).flatMap((u) => (u && !isPseudonym(u) && u !== ERASED ? [u] : []));
  const contactId = contactIdOf(e);
  return { emails, userIds, contactIds: contactId === undefined ? [] : [contactId] };
}

export function addIdentifiers(ids: PersonIds, keys: { emails?: string[]; userIds?: string[]; contactIds?: string[] }): void {
  for (const m of keys.emails ?? []) addEmail(ids, m);
  for (const u of keys.userIds ?? []) addUserId(ids, u);
  for (const c of keys.contactIds ?? []) add(ids.hubspotContactIds, c);
}
