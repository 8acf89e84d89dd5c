import type { StoredPerson } from "../core/contact-upsert";
import type { NormalizedEvent, Subject } from "../core/events";
import { CRM_MERGE_MARK } from "../core/crm-merge";
import { accountIdOf, mayMatchByDomain, type IdentitySourceRules } from "../core/identity";

/** Kinds of explicit ids that point at an account; the first four may create a customer. */
export const PRIMARY_KINDS = ["stripe", "hubspot", "segment_group", "account"] as const;
export type IdentityKind = (typeof PRIMARY_KINDS)[number] | "stripe_charge" | "stripe_pi" | "domain" | EnrichedKind | typeof CRM_MERGE_MARK;
/** Ids that find their customer through a vendor lookup (src/store/associations.ts), never by themselves. */
export const ENRICHED_KINDS = ["hubspot_deal", "hubspot_ticket", "zendesk_user", "zendesk_org"] as const;
export type EnrichedKind = (typeof ENRICHED_KINDS)[number];
export interface IdentityKey {
  kind: IdentityKind | "contact";
  value: string;
}

/** Explicit ids first (strongest), then people (contacts), then the email domain. */
export function subjectKeys(subject: Subject, freeMail: ReadonlySet<string>, matchByDomain: boolean): IdentityKey[] {
  const keys: IdentityKey[] = [];
  const add = (kind: IdentityKey["kind"], value: string | undefined) => {
    if (value) keys.push({ kind, value });
  };
  add("stripe", subject.stripeCustomerId);
  add("hubspot", subject.hubspotCompanyId);
  // A HubSpot merge carries both companies; the mark says which one went (never linked: src/core/crm-merge.ts).
  add("hubspot", subject.hubspotMergedCompanyId);
  add(CRM_MERGE_MARK, subject.hubspotMergedCompanyId);
  add("segment_group", subject.segmentGroupId);
  // One account key space: Segment's groupId is the account id Stripe metadata and the CRM carry.
  add("account", subject.accountId);
  if (subject.segmentGroupId !== subject.accountId) add("account", subject.segmentGroupId);
  add("stripe_charge", subject.stripeChargeId);
  add("stripe_pi", subject.stripePaymentIntentId);
  add("hubspot_deal", subject.hubspotDealId);
  add("hubspot_ticket", subject.hubspotTicketId);
  add("zendesk_user", subject.zendeskUserId);
  add("zendesk_org", subject.zendeskOrganizationId);
  if (subject.hubspotContactId) add("contact", `hubspot:${subject.hubspotContactId}`);
  if (subject.userId) add("contact", `segment:${subject.userId}`);
  const domain = subject.domain?.toLowerCase() ?? subject.email?.split("@")[1]?.toLowerCase();
  if (matchByDomain && domain && !freeMail.has(domain)) add("domain", domain);
  return keys;
}

export function keyString(k: IdentityKey): string {
  return `${k.kind}:${k.value}`;
}

/** Keys as one JSON parameter, `[[kind, value], …]`, for statements that look them up through `json_each`. */
export function keyPairs(keys: readonly Pick<IdentityKey, "kind" | "value">[]): string {
  return JSON.stringify(keys.map((k) => [k.kind, k.value]));
}

/**
 * Looks up which customer each key points at (identities, and contacts for people): one query per table for the
 * whole batch, the keys passed as one JSON parameter (a batch's keys would pass D1's 100 bound parameters), each
 * looked up through the table's primary key.
 */
/** Which customer holds each key; and the stored row of each person among them (what their sightings would change). */
export async function lookupKeys(db: D1Database, keys: IdentityKey[]): Promise<{ known: Map<string, string>; people: Map<string, StoredPerson> }> {
  const out = new Map<string, string>();
  const ids = [...new Map(keys.filter((k) => k.kind !== "contact").map((k) => [keyString(k), k])).values()];
  const contacts = [...new Set(keys.filter((k) => k.kind === "contact").map((k) => k.value))];
  const [linked, people] = await Promise.all([
    ids.length === 0
      ? null
      : db
          .prepare(
            `SELECT i.kind, i.value, i.customer_id FROM json_each(?) j
             CROSS JOIN identities i ON i.kind = json_extract(j.value, '$[0]') AND i.value = json_extract(j.value, '$[1]')`,
          )
          .bind(keyPairs(ids))
          .all<{ kind: string; value: string; customer_id: string }>(),
    contacts.length === 0
      ? null
      : db
          .prepare(
            `SELECT c.id, c.customer_id, c.email, c.name, c.role, c.erased_at IS NOT NULL AS erased FROM json_each(?) j
             CROSS JOIN contacts c ON c.id = j.value WHERE c.customer_id IS NOT NULL`,
          )
          .bind(JSON.stringify(contacts))
          .all<{ id: string; customer_id: string; email: string | null; name: string | null; role: string | null; erased: number }>(),
  ]);
  const stored = new Map<string, StoredPerson>();
  for (const r of linked?.results ?? []) out.set(`${r.kind}:${r.value}`, r.customer_id);
  for (const r of people?.results ?? []) {
    out.set(`contact:${r.id}`, r.customer_id);
    stored.set(r.id, { customerId: r.customer_id, email: r.email, name: r.name, role: r.role, erased: r.erased === 1 });
  }
  return { known: out, people: stored };
}

export function linkIdentityStmt(db: D1Database, key: IdentityKey, customerId: string, now: number): D1PreparedStatement {
  return db.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`).bind(key.kind, key.value, customerId, now);
}

/** People: personal data stays in this table only (so an erasure is one place). */
/**
 * Upserts the people a customer's step saw, in one statement whatever their number (in order: a person seen
 * twice is inserted, then updated). D1 counts statements against its 1,000 per invocation and runs them one
 * after another on its one writer, so a batch of usage events costs one here, not one per event.
 */
export function upsertContactsStmt(
  db: D1Database,
  contacts: readonly { id: string; customerId: string; email?: string; name?: string; role?: string }[],
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO contacts (id, customer_id, email, name, role, updated_at)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), ?2
       FROM json_each(?1) WHERE true
       ON CONFLICT (id) DO UPDATE SET
         customer_id = COALESCE(contacts.customer_id, excluded.customer_id),
         email = CASE WHEN contacts.erased_at IS NULL THEN COALESCE(excluded.email, contacts.email) END,
         name = CASE WHEN contacts.erased_at IS NULL THEN COALESCE(excluded.name, contacts.name) END,
         role = COALESCE(excluded.role, contacts.role),
         updated_at = excluded.updated_at
       -- Most sightings change nothing; D1 bills every row (and index entry) an update writes.
       WHERE contacts.customer_id IS NULL
          OR (excluded.role IS NOT NULL AND excluded.role IS NOT contacts.role)
          OR (contacts.erased_at IS NULL AND ((excluded.email IS NOT NULL AND excluded.email IS NOT contacts.email)
                                              OR (excluded.name IS NOT NULL AND excluded.name IS NOT contacts.name)))
          OR (contacts.erased_at IS NOT NULL AND (contacts.email IS NOT NULL OR contacts.name IS NOT NULL))`,
    )
    .bind(JSON.stringify(contacts.map((c) => [c.id, c.customerId, c.email ?? null, c.name ?? null, c.role ?? null])), now);
}

export function unmatchedKeyStmts(db: D1Database, eventId: string, keys: IdentityKey[]): D1PreparedStatement[] {
  const stmt = db.prepare(`INSERT INTO unmatched_keys (kind, value, event_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
  return keys.map((k) => stmt.bind(k.kind, k.value, eventId));
}

/**
 * The first statement of a batch that records events as unmatched: it fails the batch (D1 rolls it back) if one
 * of the keys they wait for was linked since they were resolved, by a batch consumed at the same time whose
 * re-drive ran before these rows were unmatched. The events are retried and resolve to that customer.
 */
export function unmatchedGuardStmt(db: D1Database, waiting: readonly IdentityKey[]): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO batch_guard (x) SELECT NULL WHERE EXISTS (
         WITH k (kind, value) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))
         SELECT 1 FROM k CROSS JOIN identities i ON i.kind = k.kind AND i.value = k.value
         UNION ALL
         SELECT 1 FROM k CROSS JOIN contacts c ON k.kind = 'contact' AND c.id = k.value WHERE c.customer_id IS NOT NULL
       )`,
    )
    .bind(keyPairs(waiting));
}

/** Unmatched events waiting for any of these keys: set back to received, returned for re-enqueueing. */
export async function redriveUnmatched(db: D1Database, keys: IdentityKey[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  const { results } = await db
    .prepare(
      `SELECT DISTINCT u.event_id FROM json_each(?) j
       CROSS JOIN unmatched_keys u ON u.kind = json_extract(j.value, '$[0]') AND u.value = json_extract(j.value, '$[1]')`,
    )
    .bind(keyPairs(unique))
    .all<{ event_id: string }>();
  const ids = new Set(results.map((r) => r.event_id));
  if (ids.size === 0) return [];
  const list = [...ids];
  const stmts: D1PreparedStatement[] = [];
  for (const id of list) {
    stmts.push(db.prepare(`UPDATE inbox_events SET status = 'received', attempts = 0 WHERE id = ? AND status = 'unmatched'`).bind(id));
    stmts.push(db.prepare(`DELETE FROM unmatched_keys WHERE event_id = ?`).bind(id));
    stmts.push(db.prepare(`DELETE FROM identity_conflicts WHERE event_id = ?`).bind(id));
  }
  await db.batch(stmts);
  return list;
}

/** An event's keys under the identity rules: domain matching per source, and the configured CRM account property. */
export function eventKeys(e: NormalizedEvent, rules: IdentitySourceRules & { freeMailDomains: string[]; matchByDomain: boolean }, freeMail: ReadonlySet<string>): IdentityKey[] {
  const keys = subjectKeys(e.subject, freeMail, mayMatchByDomain(rules, e.source));
  const account = accountIdOf(e, rules.accountProperty);
  if (account && !keys.some((k) => k.kind === "account" && k.value === account)) {
    // Among the explicit ids, which come first.
    const at = keys.findIndex((k) => !(PRIMARY_KINDS as readonly string[]).includes(k.kind));
    keys.splice(at === -1 ? keys.length : at, 0, { kind: "account", value: account });
  }
  return keys;
}

/** The explicit ids each customer holds, by kind. */
export async function holdingsOf(db: D1Database, customerIds: string[]): Promise<Map<string, Record<string, string[]>>> {
  const out = new Map<string, Record<string, string[]>>();
  if (customerIds.length === 0) return out;
  const { results } = await db
    .prepare(`SELECT customer_id, kind, value FROM identities WHERE customer_id IN (SELECT value FROM json_each(?)) AND kind IN ('stripe', 'hubspot', 'segment_group', 'account')`)
    .bind(JSON.stringify(customerIds))
    .all<{ customer_id: string; kind: string; value: string }>();
  for (const id of customerIds) out.set(id, {});
  for (const r of results) (out.get(r.customer_id)![r.kind] ??= []).push(r.value);
  return out;
}

/** Keys someone unlinked, with the customers they must not be linked to again: key string -> customer ids. */
export async function unlinkedKeys(db: D1Database, keys: IdentityKey[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const list = keys.filter((k) => k.kind !== "contact").map((k) => [k.kind, k.value]);
  if (list.length === 0) return out;
  const { results } = await db
    .prepare(
      `SELECT u.kind, u.value, u.customer_id FROM identity_unlinks u
       JOIN json_each(?) j ON u.kind = json_extract(j.value, '$[0]') AND u.value = json_extract(j.value, '$[1]')`,
    )
    .bind(JSON.stringify(list))
    .all<{ kind: string; value: string; customer_id: string }>();
  for (const r of results) {
    const k = `${r.kind}:${r.value}`;
    out.set(k, (out.get(k) ?? new Set()).add(r.customer_id));
  }
  return out;
}

/** Removes one key from a customer, for good: the pipeline never links it to that customer again by itself. */
export function unlinkStmts(db: D1Database, customerId: string, key: IdentityKey, now: number): D1PreparedStatement[] {
  return [
    db.prepare(`DELETE FROM identities WHERE kind = ? AND value = ? AND customer_id = ?`).bind(key.kind, key.value, customerId),
    db.prepare(`INSERT INTO identity_unlinks (kind, value, customer_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET at = excluded.at`).bind(key.kind, key.value, customerId, now),
  ];
}

/** Linking a key by hand lifts an earlier unlink of it from that customer. */
export function forgetUnlinkStmt(db: D1Database, customerId: string, key: IdentityKey): D1PreparedStatement {
  return db.prepare(`DELETE FROM identity_unlinks WHERE kind = ? AND value = ? AND customer_id = ?`).bind(key.kind, key.value, customerId);
}

/** Ids taken by a live customer or a merge pointer: a new customer never takes one. */
export async function takenIds(db: D1Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `SELECT id FROM customers WHERE id IN (SELECT value FROM json_each(?1))
       UNION SELECT loser_id AS id FROM customer_merges WHERE loser_id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

export interface IdentityConflictRow {
  eventId: string;
  kind: string;
  value: string;
  customerId: string;
  held: string;
  reason: string;
}

export function conflictStmts(db: D1Database, rows: IdentityConflictRow[], now: number): D1PreparedStatement[] {
  const stmt = db.prepare(
    `INSERT INTO identity_conflicts (event_id, kind, value, customer_id, held, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (event_id, kind, value) DO UPDATE SET customer_id = excluded.customer_id, held = excluded.held, reason = excluded.reason`,
  );
  return rows.map((r) => stmt.bind(r.eventId, r.kind, r.value, r.customerId, r.held, r.reason, now));
}

export async function listConflicts(db: D1Database, limit: number): Promise<(IdentityConflictRow & { at: number })[]> {
  const { results } = await db
    // Only conflicts still holding an event back: one applied since (linked, merged, re-driven) is resolved.
    .prepare(
      `SELECT c.event_id, c.kind, c.value, c.customer_id, c.held, c.reason, c.at FROM identity_conflicts c
       JOIN inbox_events e ON e.id = c.event_id AND e.status = 'unmatched' ORDER BY c.at DESC, c.event_id LIMIT ?`,
    )
    .bind(limit)
    .all<{ event_id: string; kind: string; value: string; customer_id: string; held: string; reason: string; at: number }>();
  return results.map((r) => ({ eventId: r.event_id, kind: r.kind, value: r.value, customerId: r.customer_id, held: r.held, reason: r.reason, at: r.at }));
}
