import { upgradeState } from "../core/compact";
import type { HealthScore } from "../core/health";
import type { CustomerState } from "../core/state";
import type { AlertLog } from "../core/plan";
import { assertRowFits, jsonArrays } from "./limits";

export interface StoredCustomer {
  id: string;
  version: number;
  state: CustomerState;
  health: (HealthScore & { trend?: { d7: number | null; d30: number | null } }) | null;
  stage: string | null;
  stageSince: number | null;
  alerts: AlertLog;
  externalIds: Record<string, string[]>;
  /** The last UTC day (yyyy-mm-dd) the event-time timeline has been computed through. */
  timelineThrough: string | null;
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
  timelineThrough: string | null;
  now: number;
  /** The commit's first statement already checked the version (src/store/apply-guard.ts): no guard of its own. */
  versionChecked?: boolean;
}

/** A customer's row as D1 stores it (and as an account shard keeps its copy, src/shard/customer-copy.ts). */
export type CustomerRow = { id: string; version: number; state: string; health: string | null; stage: string | null; stage_since: number | null; alerts: string; timeline_through: string | null };

/** A customer row and the ids linked to it, as a caller already holds them (an account shard's copy). */
export interface HeldCustomer {
  row: CustomerRow;
  externalIds: Record<string, string[]>;
}

/**
 * The customers and the ids linked to them. `held` are customers the caller already holds at a version (and with
 * ids) the commit's guard checks (src/store/apply-guard.ts): only the others are read.
 */
export async function loadCustomers(db: D1Database, ids: string[], held: ReadonlyMap<string, HeldCustomer> = new Map()): Promise<Map<string, StoredCustomer>> {
  const out = new Map<string, StoredCustomer>();
  for (const id of ids) {
    const h = held.get(id);
    if (h) out.set(id, { ...customerOf(h.row), externalIds: h.externalIds });
  }
  const missing = ids.filter((id) => !held.has(id));
  for (let i = 0; i < missing.length; i += 80) {
    const chunk = missing.slice(i, i + 80);
    const marks = chunk.map(() => "?").join(",");
    const [rows, idents] = await db.batch<CustomerRow | { kind: string; value: string; customer_id: string }>([
      db.prepare(`SELECT id, version, state, health, stage, stage_since, alerts, timeline_through FROM customers WHERE id IN (${marks})`).bind(...chunk),
      db.prepare(`SELECT kind, value, customer_id FROM identities WHERE customer_id IN (${marks})`).bind(...chunk),
    ]);
    for (const r of rows!.results as CustomerRow[]) out.set(r.id, customerOf(r));
    for (const r of idents!.results as { kind: string; value: string; customer_id: string }[]) {
      const c = out.get(r.customer_id);
      if (c) (c.externalIds[r.kind] ??= []).push(r.value);
    }
  }
  return out;
}

function customerOf(r: CustomerRow): StoredCustomer {
  return {
    id: r.id,
    version: r.version,
    state: upgradeState(JSON.parse(r.state)),
    health: r.health ? JSON.parse(r.health) : null,
    stage: r.stage,
    stageSince: r.stage_since,
    alerts: JSON.parse(r.alerts),
    externalIds: {},
    timelineThrough: r.timeline_through,
  };
}

/**
 * The customer write, guarded by its version: if another writer got there first, the guard statement
 * fails and D1 rolls back the whole batch, so the caller retries from fresh state.
 */
export function saveCustomerStmts(db: D1Database, w: CustomerWrite): D1PreparedStatement[] {
  return customerWrite(db, w).stmts;
}

/** The statements of `saveCustomerStmts`, and the row they leave when they commit. */
export function customerWrite(db: D1Database, w: CustomerWrite): { stmts: D1PreparedStatement[]; row: CustomerRow } {
  const { row, cols } = customerColumns(w);
  if (w.expectedVersion === null) {
    const insert = db
      .prepare(
        `INSERT INTO customers (name, domain, state, score, band, stage, stage_since, health, mrr, currency, alerts, timeline_through, updated_at, scored_at, id, version, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
      )
      .bind(...cols, w.now, w.id, w.now);
    return { stmts: [insert], row };
  }
  const stmts = [
    ...customerUpdateStmts(db, [{ w, cols }]),
    // changes() is the row count of the UPDATE just before: 0 means another writer moved the version on.
    ...(w.versionChecked ? [] : [db.prepare(`INSERT INTO batch_guard (x) SELECT NULL WHERE changes() = 0`)]),
  ];
  return { stmts, row };
}

/** A customer write as the row it leaves and the values of its columns (`name` … `updated_at`, in that order). */
export function customerColumns(w: CustomerWrite): { row: CustomerRow; cols: (string | number | null)[] } {
  const state = JSON.stringify(w.state);
  const health = JSON.stringify(w.health);
  const alerts = JSON.stringify(w.alerts);
  assertRowFits("customers", state, health, alerts, w.name, w.domain);
  const row: CustomerRow = { id: w.id, version: (w.expectedVersion ?? 0) + 1, state, health, stage: w.stage, stage_since: w.stageSince, alerts, timeline_through: w.timelineThrough };
  return { row, cols: [w.name, w.domain, state, w.score, w.band, w.stage, w.stageSince, health, w.mrr, w.currency, alerts, w.timelineThrough, w.now] };
}

/**
 * Existing customers' rows, each where its id is at the version the write read (`expectedVersion`), in as few
 * statements as D1's string limit allows: one customer's step used to spend a statement on its row, and a commit
 * that merges several customers (src/pipeline-commit.ts) spends one for all of them.
 */
export function customerUpdateStmts(db: D1Database, writes: readonly { w: CustomerWrite; cols: (string | number | null)[] }[]): D1PreparedStatement[] {
  const sql = db.prepare(
    `UPDATE customers SET name = u.value ->> '$[0]', domain = u.value ->> '$[1]', state = u.value ->> '$[2]', score = u.value ->> '$[3]',
       band = u.value ->> '$[4]', stage = u.value ->> '$[5]', stage_since = u.value ->> '$[6]', health = u.value ->> '$[7]', mrr = u.value ->> '$[8]',
       currency = u.value ->> '$[9]', alerts = u.value ->> '$[10]', timeline_through = u.value ->> '$[11]', updated_at = u.value ->> '$[12]',
       scored_at = u.value ->> '$[12]', version = customers.version + 1
     FROM json_each(?1) u WHERE customers.id = u.value ->> '$[13]' AND customers.version = u.value ->> '$[14]'`,
  );
  return jsonArrays(writes.map(({ w, cols }) => [...cols, w.id, w.expectedVersion])).map((rows) => sql.bind(rows));
}
