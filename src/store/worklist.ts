import { z } from "zod";
import { containsPattern } from "../core/worklist";

/** Reads behind the worklist at `/`: every list is bounded (LIMIT), none loads the whole portfolio. */

const driverSchema = z.object({ factor: z.string(), impact: z.number(), detail: z.string(), component: z.string() });
const healthSchema = z
  .looseObject({
    drivers: z.array(driverSchema).catch([]),
    coverage: z.number().nullable().catch(null),
    snapshot: z.looseObject({ renewalDate: z.number().nullable().optional().catch(null) }).nullable().optional().catch(null),
  })
  .nullable()
  .catch(null);

const rowSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  domain: z.string().nullable(),
  score: z.number().nullable(),
  band: z.string().nullable(),
  stage: z.string().nullable(),
  stage_since: z.number().nullable(),
  mrr: z.number(),
  currency: z.string().nullable(),
  health: z.string().nullable(),
  owner_id: z.union([z.string(), z.number()]).nullable(),
  owner_name: z.string().nullable(),
});

export interface WorklistRow {
  id: string;
  name: string | null;
  domain: string | null;
  score: number | null;
  band: string | null;
  stage: string | null;
  stageSince: number | null;
  mrr: number;
  currency: string | null;
  drivers: z.infer<typeof driverSchema>[];
  coverage: number | null;
  renewal: number | null;
  /** The owner's name when known, else their HubSpot id, else null. */
  owner: string | null;
}

function toRow(raw: unknown): WorklistRow {
  const r = rowSchema.parse(raw);
  const health = healthSchema.parse(r.health ? JSON.parse(r.health) : null);
  return {
    id: r.id,
    name: r.name,
    domain: r.domain,
    score: r.score,
    band: r.band,
    stage: r.stage,
    stageSince: r.stage_since,
    mrr: r.mrr,
    currency: r.currency,
    drivers: health?.drivers ?? [],
    coverage: health?.coverage ?? null,
    renewal: health?.snapshot?.renewalDate ?? null,
    owner: r.owner_name ?? (r.owner_id == null ? null : String(r.owner_id)),
  };
}

/** The JSON path of the owner property in the stored CRM state; a property name that is not a plain identifier matches nothing. */
export const ownerPath = (ownerProperty: string) => (/^[A-Za-z0-9_]+$/.test(ownerProperty) ? `$.crm.properties."${ownerProperty}".value` : "$.__none");

const from = `FROM customers c LEFT JOIN owners o ON o.id = CAST(json_extract(c.state, ?1) AS TEXT)`;
const select = `SELECT c.id, c.name, c.domain, c.score, c.band, c.stage, c.stage_since, c.mrr, c.currency, c.health,
    json_extract(c.state, ?1) AS owner_id, o.name AS owner_name ${from}`;
/** "My accounts": ?2 is the signed-in person's email (lower-case), or null for everyone's. */
const mine = `(?2 IS NULL OR o.email = ?2)`;

/** Not churned: NULL stages count as live. */
const live = `(c.stage IS NULL OR c.stage != 'churned')`;

export interface Page {
  limit: number;
  offset: number;
  ownerProperty: string;
  /** Only the accounts this HubSpot owner (by email) owns; null or absent for every account. */
  ownerEmail?: string | null;
}

const emailOf = (q: { ownerEmail?: string | null }) => q.ownerEmail?.toLowerCase() ?? null;

/**
 * Scored, live accounts in red or yellow, most MRR at risk first: mrr × (100 − score), per account in its own
 * currency (the order compares magnitudes; no figure is summed across currencies).
 */
export async function attentionPage(db: D1Database, p: Page): Promise<{ rows: WorklistRow[]; total: number }> {
  const where = `WHERE ${live} AND ${mine} AND c.score IS NOT NULL AND c.band IN ('red', 'yellow')`;
  const [rows, count] = await db.batch([
    db.prepare(`${select} ${where} ORDER BY c.mrr * (100 - c.score) DESC, c.score ASC, c.id LIMIT ?3 OFFSET ?4`).bind(ownerPath(p.ownerProperty), emailOf(p), p.limit, p.offset),
    db.prepare(`SELECT COUNT(*) AS n ${from} ${where}`).bind(ownerPath(p.ownerProperty), emailOf(p)),
  ]);
  return { rows: rows!.results.map(toRow), total: Number((count!.results[0] as { n: number }).n) };
}

/** Live accounts renewing in [from, to), soonest first. */
export async function renewalsBetween(db: D1Database, q: { from: number; to: number; limit: number; ownerProperty: string; ownerEmail?: string | null }): Promise<WorklistRow[]> {
  const { results } = await db
    .prepare(
      `${select} WHERE ${live} AND ${mine} AND json_extract(c.health, '$.snapshot.renewalDate') >= ?3 AND json_extract(c.health, '$.snapshot.renewalDate') < ?4
       ORDER BY json_extract(c.health, '$.snapshot.renewalDate'), c.id LIMIT ?5`,
    )
    .bind(ownerPath(q.ownerProperty), emailOf(q), q.from, q.to, q.limit)
    .all();
  return results.map(toRow);
}

/** Churned accounts, most recently churned first. */
export async function churnedPage(db: D1Database, p: Page): Promise<{ rows: WorklistRow[]; total: number }> {
  const where = `WHERE c.stage = 'churned' AND ${mine}`;
  const [rows, count] = await db.batch([
    db.prepare(`${select} ${where} ORDER BY c.stage_since DESC NULLS LAST, c.id LIMIT ?3 OFFSET ?4`).bind(ownerPath(p.ownerProperty), emailOf(p), p.limit, p.offset),
    db.prepare(`SELECT COUNT(*) AS n ${from} ${where}`).bind(ownerPath(p.ownerProperty), emailOf(p)),
  ]);
  return { rows: rows!.results.map(toRow), total: Number((count!.results[0] as { n: number }).n) };
}

/** Customers whose name, domain or id contains `text` (any stage), by name. */
export async function searchCustomers(db: D1Database, q: { text: string; limit: number; ownerProperty: string; ownerEmail?: string | null }): Promise<WorklistRow[]> {
  const { results } = await db
    .prepare(
      `${select} WHERE (c.name LIKE ?3 ESCAPE '\\' OR c.domain LIKE ?3 ESCAPE '\\' OR c.id LIKE ?3 ESCAPE '\\') AND ${mine}
       ORDER BY COALESCE(c.name, c.domain, c.id) COLLATE NOCASE, c.id LIMIT ?4`,
    )
    .bind(ownerPath(q.ownerProperty), emailOf(q), containsPattern(q.text), q.limit)
    .all();
  return results.map(toRow);
}
