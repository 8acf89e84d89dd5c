import type { Subject } from "../core/events";

/** Kinds of explicit ids that point at an account; the first four may create a customer. */
export const PRIMARY_KINDS = ["stripe", "hubspot", "segment_group", "account"] as const;
export type IdentityKind = (typeof PRIMARY_KINDS)[number] | "stripe_charge" | "stripe_pi" | "domain";
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
  add("segment_group", subject.segmentGroupId);
  add("account", subject.accountId);
  add("stripe_charge", subject.stripeChargeId);
  add("stripe_pi", subject.stripePaymentIntentId);
  if (subject.hubspotContactId) add("contact", `hubspot:${subject.hubspotContactId}`);
  if (subject.userId) add("contact", `segment:${subject.userId}`);
  const domain = subject.domain?.toLowerCase() ?? subject.email?.split("@")[1]?.toLowerCase();
  if (matchByDomain && domain && !freeMail.has(domain)) add("domain", domain);
  return keys;
}

export function keyString(k: IdentityKey): string {
  return `${k.kind}:${k.value}`;
}

/** Looks up which customer each key points at (identities, and contacts for people). */
export async function lookupKeys(db: D1Database, keys: IdentityKey[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = keys.filter((k) => k.kind !== "contact");
  const contacts = keys.filter((k) => k.kind === "contact");
  for (let i = 0; i < ids.length; i += 40) {
    const chunk = ids.slice(i, i + 40);
    const where = chunk.map(() => "(kind = ? AND value = ?)").join(" OR ");
    const { results } = await db
      .prepare(`SELECT kind, value, customer_id FROM identities WHERE ${where}`)
      .bind(...chunk.flatMap((k) => [k.kind, k.value]))
      .all<{ kind: string; value: string; customer_id: string }>();
    for (const r of results) out.set(`${r.kind}:${r.value}`, r.customer_id);
  }
  for (let i = 0; i < contacts.length; i += 80) {
    const chunk = contacts.slice(i, i + 80);
    const { results } = await db
      .prepare(`SELECT id, customer_id FROM contacts WHERE customer_id IS NOT NULL AND id IN (${chunk.map(() => "?").join(",")})`)
      .bind(...chunk.map((k) => k.value))
      .all<{ id: string; customer_id: string }>();
    for (const r of results) out.set(`contact:${r.id}`, r.customer_id);
  }
  return out;
}

export function linkIdentityStmt(db: D1Database, key: IdentityKey, customerId: string, now: number): D1PreparedStatement {
  return db.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`).bind(key.kind, key.value, customerId, now);
}

/** People: personal data stays in this table only (so an erasure is one place). */
export function upsertContactStmt(
  db: D1Database,
  c: { id: string; customerId: string; email?: string; name?: string; role?: string },
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO contacts (id, customer_id, email, name, role, updated_at) VALUES (?, ?, ?, ?, ?, ?)
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
    .bind(c.id, c.customerId, c.email ?? null, c.name ?? null, c.role ?? null, now);
}

export function unmatchedKeyStmts(db: D1Database, eventId: string, keys: IdentityKey[]): D1PreparedStatement[] {
  const stmt = db.prepare(`INSERT INTO unmatched_keys (kind, value, event_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
  return keys.map((k) => stmt.bind(k.kind, k.value, eventId));
}

/** Unmatched events waiting for any of these keys: set back to received, returned for re-enqueueing. */
export async function redriveUnmatched(db: D1Database, keys: IdentityKey[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const ids = new Set<string>();
  for (let i = 0; i < keys.length; i += 40) {
    const chunk = keys.slice(i, i + 40);
    const where = chunk.map(() => "(kind = ? AND value = ?)").join(" OR ");
    const { results } = await db
      .prepare(`SELECT DISTINCT event_id FROM unmatched_keys WHERE ${where}`)
      .bind(...chunk.flatMap((k) => [k.kind, k.value]))
      .all<{ event_id: string }>();
    for (const r of results) ids.add(r.event_id);
  }
  if (ids.size === 0) return [];
  const list = [...ids];
  const stmts: D1PreparedStatement[] = [];
  for (const id of list) {
    stmts.push(db.prepare(`UPDATE inbox_events SET status = 'received', attempts = 0 WHERE id = ? AND status = 'unmatched'`).bind(id));
    stmts.push(db.prepare(`DELETE FROM unmatched_keys WHERE event_id = ?`).bind(id));
  }
  await db.batch(stmts);
  return list;
}
