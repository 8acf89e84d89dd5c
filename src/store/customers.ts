import type { HealthScore } from "../core/health";
import type { CustomerState } from "../core/state";
import type { AlertLog } from "../core/plan";

export interface StoredCustomer {
  id: string;
  version: number;
  state: CustomerState;
  health: (HealthScore & { trend?: { d7: number | null; d30: number | null } }) | null;
  stage: string | null;
  stageSince: number | null;
  alerts: AlertLog;
  externalIds: Record<string, string[]>;
}

export interface CustomerWrite {
  id: string;
  /** null when the customer is new. */
  expectedVersion: number | null;
  name: string | null;
  domain: string | null;
  state: CustomerState;
  health: unknown;
  score: number;
  band: string;
  stage: string;
  stageSince: number | null;
  mrr: number;
  currency: string | null;
  alerts: AlertLog;
  now: number;
}

type Row = { id: string; version: number; state: string; health: string | null; stage: string | null; stage_since: number | null; alerts: string };

export async function loadCustomers(db: D1Database, ids: string[]): Promise<Map<string, StoredCustomer>> {
  const out = new Map<string, StoredCustomer>();
  for (let i = 0; i < ids.length; i += 80) {
    const chunk = ids.slice(i, i + 80);
    const marks = chunk.map(() => "?").join(",");
    const [rows, idents] = await db.batch<Row | { kind: string; value: string; customer_id: string }>([
      db.prepare(`SELECT id, version, state, health, stage, stage_since, alerts FROM customers WHERE id IN (${marks})`).bind(...chunk),
      db.prepare(`SELECT kind, value, customer_id FROM identities WHERE customer_id IN (${marks})`).bind(...chunk),
    ]);
    for (const r of rows!.results as Row[]) {
      out.set(r.id, {
        id: r.id,
        version: r.version,
        state: JSON.parse(r.state),
        health: r.health ? JSON.parse(r.health) : null,
        stage: r.stage,
        stageSince: r.stage_since,
        alerts: JSON.parse(r.alerts),
        externalIds: {},
      });
    }
    for (const r of idents!.results as { kind: string; value: string; customer_id: string }[]) {
      const c = out.get(r.customer_id);
      if (c) (c.externalIds[r.kind] ??= []).push(r.value);
    }
  }
  return out;
}

/**
 * The customer write, guarded by its version: if another writer got there first, the guard statement
 * fails and D1 rolls back the whole batch, so the caller retries from fresh state.
 */
export function saveCustomerStmts(db: D1Database, w: CustomerWrite): D1PreparedStatement[] {
  const cols = [w.name, w.domain, JSON.stringify(w.state), w.score, w.band, w.stage, w.stageSince, JSON.stringify(w.health), w.mrr, w.currency, JSON.stringify(w.alerts), w.now];
  if (w.expectedVersion === null) {
    return [
      db
        .prepare(
          `INSERT INTO customers (name, domain, state, score, band, stage, stage_since, health, mrr, currency, alerts, updated_at, scored_at, id, version, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
        )
        .bind(...cols, w.now, w.id, w.now),
    ];
  }
  return [
    db
      .prepare(
        `UPDATE customers SET name = ?, domain = ?, state = ?, score = ?, band = ?, stage = ?, stage_since = ?, health = ?, mrr = ?, currency = ?, alerts = ?,
           updated_at = ?, scored_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
      )
      .bind(...cols, w.now, w.id, w.expectedVersion),
    // changes() is the row count of the UPDATE just before: 0 means another writer moved the version on.
    db.prepare(`INSERT INTO batch_guard (x) SELECT NULL WHERE changes() = 0`),
  ];
}

export function scoreHistoryStmt(
  db: D1Database,
  h: { customerId: string; at: number; score: number; band: string; stage: string; components: unknown; modelVersion: string },
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (customer_id, at) DO UPDATE SET score = excluded.score, band = excluded.band, stage = excluded.stage,
         components = excluded.components, model_version = excluded.model_version`,
    )
    .bind(h.customerId, h.at, h.score, h.band, h.stage, JSON.stringify(h.components), h.modelVersion);
}

export function stageTransitionStmt(db: D1Database, t: { customerId: string; at: number; from: string | null; to: string }): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
    .bind(t.customerId, t.at, t.from, t.to);
}

/** Score points of the last `days` days for several customers (for trends and drop alerts). */
export async function recentHistory(db: D1Database, ids: string[], since: number): Promise<Map<string, { at: number; score: number }[]>> {
  const out = new Map<string, { at: number; score: number }[]>();
  for (let i = 0; i < ids.length; i += 80) {
    const chunk = ids.slice(i, i + 80);
    const { results } = await db
      .prepare(`SELECT customer_id, at, score FROM score_history WHERE at >= ? AND customer_id IN (${chunk.map(() => "?").join(",")}) ORDER BY at`)
      .bind(since, ...chunk)
      .all<{ customer_id: string; at: number; score: number }>();
    for (const r of results) {
      const list = out.get(r.customer_id) ?? [];
      list.push({ at: r.at, score: r.score });
      out.set(r.customer_id, list);
    }
  }
  return out;
}
