import type { CustomerState } from "../core/state";
import { actionRow, type ActionRow } from "./outbox";
import { ownerPath } from "./worklist";

export type { ActionRow };

/** Reads behind the dashboard pages. */

export const portfolioSorts = ["customer", "score", "band", "trend", "stage", "mrr", "renewal", "owner"] as const;
export type PortfolioSort = (typeof portfolioSorts)[number];

const sortSql: Record<PortfolioSort, string> = {
  customer: "COALESCE(c.name, c.domain, c.id) COLLATE NOCASE",
  score: "c.score",
  band: "CASE c.band WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 END",
  trend: "trend7",
  stage: "CASE c.stage WHEN 'awareness' THEN 0 WHEN 'conversion' THEN 1 WHEN 'purchase' THEN 2 WHEN 'onboarding' THEN 3 WHEN 'renewal' THEN 4 WHEN 'loyalty' THEN 5 WHEN 'churned' THEN 6 END",
  mrr: "c.mrr",
  renewal: "renewal",
  owner: "owner",
};

export interface PortfolioRow {
  id: string;
  name: string | null;
  domain: string | null;
  score: number | null;
  band: string | null;
  stage: string | null;
  mrr: number;
  currency: string | null;
  trend7: number | null;
  renewal: number | null;
  owner: string | null;
}

export interface PortfolioQuery {
  sort: PortfolioSort;
  dir: "asc" | "desc";
  band?: string;
  stage?: string;
  limit: number;
  offset: number;
  /** HubSpot company property holding the owner (from the health model). */
  ownerProperty: string;
}

export async function portfolioPage(db: D1Database, q: PortfolioQuery): Promise<{ rows: PortfolioRow[]; total: number }> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.band) (where.push("c.band = ?"), args.push(q.band));
  if (q.stage) (where.push("c.stage = ?"), args.push(q.stage));
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const [rows, count] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT c.id, c.name, c.domain, c.score, c.band, c.stage, c.mrr, c.currency,
           json_extract(c.health, '$.trend.d7') AS trend7, json_extract(c.health, '$.snapshot.renewalDate') AS renewal,
           COALESCE(o.name, json_extract(c.state, ?1)) AS owner
         FROM customers c LEFT JOIN owners o ON o.id = CAST(json_extract(c.state, ?1) AS TEXT) ${filter}
         ORDER BY ${sortSql[q.sort]} ${q.dir === "desc" ? "DESC" : "ASC"} NULLS LAST, c.id LIMIT ? OFFSET ?`,
      )
      .bind(ownerPath(q.ownerProperty), ...args, q.limit, q.offset),
    db.prepare(`SELECT COUNT(*) AS n FROM customers c ${filter}`).bind(...args),
  ]);
  return { rows: rows!.results as unknown as PortfolioRow[], total: Number((count!.results[0] as { n: number }).n) };
}

export interface CustomerDetail {
  id: string;
  name: string | null;
  domain: string | null;
  score: number | null;
  band: string | null;
  stage: string | null;
  stageSince: number | null;
  mrr: number;
  currency: string | null;
  health: Record<string, any> | null;
  state: CustomerState;
  identities: { kind: string; value: string }[];
  history: { at: number; score: number; band: string }[];
  transitions: { at: number; from: string | null; to: string }[];
  actions: ActionRow[];
}

export async function customerDetail(db: D1Database, id: string, historySince: number): Promise<CustomerDetail | null> {
  const [customer, identities, history, transitions, actions] = await db.batch<Record<string, any>>([
    db.prepare(`SELECT id, name, domain, score, band, stage, stage_since, mrr, currency, health, state FROM customers WHERE id = ?`).bind(id),
    db.prepare(`SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY kind, value`).bind(id),
    db.prepare(`SELECT at, score, band FROM score_history WHERE customer_id = ? AND at >= ? ORDER BY at`).bind(id, historySince),
    db.prepare(`SELECT at, from_stage, to_stage FROM stage_transitions WHERE customer_id = ? ORDER BY at`).bind(id),
    db.prepare(`SELECT * FROM outbox WHERE customer_id = ? ORDER BY created_at DESC LIMIT 50`).bind(id),
  ]);
  const r = customer!.results[0];
  if (!r) return null;
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
    health: r.health ? JSON.parse(r.health) : null,
    state: JSON.parse(r.state),
    identities: identities!.results as { kind: string; value: string }[],
    history: history!.results as { at: number; score: number; band: string }[],
    transitions: transitions!.results.map((t) => ({ at: t.at, from: t.from_stage, to: t.to_stage })),
    actions: actions!.results.map(actionRow),
  };
}

/** Outbox rows by status (newest change first), optionally of some types only. */
export async function outboxRows(db: D1Database, f: { statuses: string[]; types?: string[]; limit: number }): Promise<ActionRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM outbox WHERE status IN (SELECT value FROM json_each(?)) AND (? IS NULL OR type IN (SELECT value FROM json_each(?)))
       ORDER BY updated_at DESC, id LIMIT ?`,
    )
    .bind(JSON.stringify(f.statuses), f.types ? 1 : null, JSON.stringify(f.types ?? []), f.limit)
    .all<Record<string, any>>();
  return results.map(actionRow);
}

export async function outboxCounts(db: D1Database): Promise<Record<string, number>> {
  const { results } = await db.prepare(`SELECT status, COUNT(*) AS n FROM outbox GROUP BY status`).all<{ status: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

export async function customerNames(db: D1Database, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const { results } = await db
    .prepare(`SELECT id, COALESCE(name, domain, id) AS name FROM customers WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(unique))
    .all<{ id: string; name: string }>();
  return new Map(results.map((r) => [r.id, r.name]));
}
