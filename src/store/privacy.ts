import { z } from "zod";
import { sha256, toHex } from "../../webhooks/signature";
import { emptyPersonIds, personIdsSchema, type PersonIds } from "../core/erasure";
import { insertCarriedStmt, type InboxRow } from "./inbox";

/**
 * Erasure records (migrations/0010_erasure.sql), the deployment's salt and the tombstones of erased
 * identifiers. The identifiers an erasure collects are kept in plain text only while its job runs.
 */

export type ErasureStatus = "running" | "done";

export interface Erasure {
  id: string;
  contactId: string;
  status: ErasureStatus;
  step: number;
  cursor: number;
  ids: PersonIds;
  counts: Record<string, number>;
  startedAt: number;
  finishedAt: number | null;
}

const rowSchema = z.object({
  id: z.string(),
  contact_id: z.string(),
  status: z.enum(["running", "done"]),
  step: z.number().int(),
  cursor: z.number().int(),
  identifiers: z.string().nullable(),
  counts: z.string(),
  started_at: z.number().int(),
  finished_at: z.number().int().nullable(),
});
const countsSchema = z.record(z.string(), z.number().int());

function toErasure(raw: unknown): Erasure {
  const r = rowSchema.parse(raw);
  return {
    id: r.id,
    contactId: r.contact_id,
    status: r.status,
    step: r.step,
    cursor: r.cursor,
    ids: r.identifiers === null ? emptyPersonIds() : personIdsSchema.parse(JSON.parse(r.identifiers)),
    counts: countsSchema.parse(JSON.parse(r.counts)),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const COLUMNS = `id, contact_id, status, step, cursor, identifiers, counts, started_at, finished_at`;

export async function loadErasure(db: D1Database, id: string): Promise<Erasure | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM erasures WHERE id = ?`).bind(id).first();
  return row ? toErasure(row) : null;
}

export async function runningErasureOf(db: D1Database, contactId: string): Promise<Erasure | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM erasures WHERE contact_id = ? AND status = 'running' LIMIT 1`).bind(contactId).first();
  return row ? toErasure(row) : null;
}

/** The contact as it is before the erasure touches it: its email and name seed what the job looks for. */
export async function readContact(db: D1Database, contactId: string): Promise<{ email: string | null; name: string | null; customerId: string | null } | null> {
  const row = await db.prepare(`SELECT email, name, customer_id FROM contacts WHERE id = ?`).bind(contactId).first<{ email: string | null; name: string | null; customer_id: string | null }>();
  return row ? { email: row.email, name: row.name, customerId: row.customer_id } : null;
}

/**
 * Records the erasure (a repeated start with the same id changes nothing) and marks the contact erased at
 * once, so a sighting while the job runs cannot write their email or name back (upsertContactsStmt).
 */
export function startErasureStmts(db: D1Database, e: { id: string; contactId: string; ids: PersonIds; now: number }): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO erasures (id, contact_id, status, step, cursor, identifiers, counts, started_at, updated_at)
         VALUES (?1, ?2, 'running', 0, 0, ?3, '{}', ?4, ?4) ON CONFLICT (id) DO NOTHING`,
      )
      .bind(e.id, e.contactId, JSON.stringify(e.ids), e.now),
    db
      .prepare(
        `INSERT INTO contacts (id, erased_at, updated_at) VALUES (?1, ?2, ?2)
         ON CONFLICT (id) DO UPDATE SET erased_at = COALESCE(contacts.erased_at, ?2), updated_at = ?2`,
      )
      .bind(e.contactId, e.now),
  ];
}

/**
 * The batch's first statement: aborts the page's writes unless the erasure is still where this page found it
 * (a duplicate message of the same page, run concurrently, then writes nothing).
 */
export function erasureGuardStmt(db: D1Database, e: Erasure): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO batch_guard (x) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM erasures WHERE id = ? AND status = 'running' AND step = ? AND cursor = ?)`)
    .bind(e.id, e.step, e.cursor);
}

export const isGuardFailure = (err: unknown) => err instanceof Error && /batch_guard/.test(err.message);

export function advanceErasureStmt(db: D1Database, id: string, next: { step: number; cursor: number; ids: PersonIds; counts: Record<string, number> }, now: number): D1PreparedStatement {
  return db
    .prepare(`UPDATE erasures SET step = ?, cursor = ?, identifiers = ?, counts = ?, updated_at = ? WHERE id = ?`)
    .bind(next.step, next.cursor, JSON.stringify(next.ids), JSON.stringify(next.counts), now, id);
}

/** The end: identifiers dropped (the tombstones stay), and a contact id that names the person replaced. */
export function finishErasureStmt(db: D1Database, id: string, contactId: string, counts: Record<string, number>, now: number): D1PreparedStatement {
  return db
    .prepare(`UPDATE erasures SET status = 'done', contact_id = ?, identifiers = NULL, counts = ?, finished_at = ?, updated_at = ? WHERE id = ?`)
    .bind(contactId, JSON.stringify(counts), now, now, id);
}

const salts = new WeakMap<D1Database, string>();

/** The deployment's salt; null when no erasure ever ran (then there is no tombstone to look for). */
export async function erasureSalt(db: D1Database, create: boolean): Promise<string | null> {
  const cached = salts.get(db);
  if (cached) return cached;
  if (create) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    await db.prepare(`INSERT INTO erasure_salt (id, salt) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`).bind(toHex(bytes)).run();
  }
  const row = await db.prepare(`SELECT salt FROM erasure_salt WHERE id = 1`).first<{ salt: string }>();
  if (row) salts.set(db, row.salt);
  return row?.salt ?? null;
}

/** SHA-256 of the salt and the lower-cased identifier (an email, a user id, `hubspot:<contact id>`). */
export async function tombstoneHash(salt: string, identifier: string): Promise<string> {
  return toHex(await sha256(`${salt}\n${identifier.trim().toLowerCase()}`));
}

/**
 * What a user id of an erased person becomes in facts and state: stable (a later fact counts the same user),
 * and per spelling, as the distinct-user counts are (user ids are case-sensitive there).
 */
export async function pseudonymOf(salt: string, userId: string): Promise<string> {
  return `erased:${toHex(await sha256(`${salt}\npseudonym\n${userId}`)).slice(0, 16)}`;
}

export function tombstoneStmts(db: D1Database, erasureId: string, hashes: string[], now: number): D1PreparedStatement[] {
  const stmt = db.prepare(`INSERT INTO erased_identifiers (hash, erasure_id, created_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING`);
  return hashes.map((h) => stmt.bind(h, erasureId, now));
}

/** Which of these hashes are tombstones. */
export async function erasedHashes(db: D1Database, hashes: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const unique = [...new Set(hashes)];
  for (let i = 0; i < unique.length; i += 90) {
    const chunk = unique.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT hash FROM erased_identifiers WHERE hash IN (${chunk.map(() => "?").join(",")})`)
      .bind(...chunk)
      .all<{ hash: string }>();
    for (const r of results) out.add(r.hash);
  }
  return out;
}

export function markErasureDoneStmt(db: D1Database, row: InboxRow, now: number): D1PreparedStatement {
  const reason = "personal data erasure started";
  if (row.carried) return insertCarriedStmt(db, row, { status: "processed", reason, now });
  return db.prepare(`UPDATE inbox_events SET status = 'processed', processed_at = ?, reason = ? WHERE id = ?`).bind(now, reason, row.id);
}

/** An arrival of theirs, kept without its raw payload and with its facts scrubbed. */
export function scrubbedArrivalStmt(db: D1Database, eventId: string, normalized: string): D1PreparedStatement {
  return db.prepare(`UPDATE inbox_events SET normalized = ?, payload = NULL WHERE id = ?`).bind(normalized, eventId);
}
