import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { markAppliedStmts } from "../../src/store/apply-guard";
import { storedRows } from "../support/inbox";
import { commitDeliveries, inboxRow } from "../../src/store/inbox";

/*
 * The statements every batch runs find their rows through the primary key, however many rows share a status.
 * SQLite's planner otherwise prefers the (status, received_at) index for `status = ?` and walks every row with
 * that status: a backlog of received events, or 90 days of unmatched ones, would be read on every batch.
 */
const BACKLOG = 3_000;
const now = Date.now();

/** Reads the rows each statement read, as D1 reports them (what production bills and waits for). */
function readsOf(db: D1Database): { db: D1Database; rowsRead: number[] } {
  const rowsRead: number[] = [];
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...v: unknown[]) => wrap(target.bind(...v));
        if (prop === "all" || prop === "run") {
          return async () => {
            const r = await (target[prop] as () => Promise<D1Result>).call(target);
            rowsRead.push(r.meta.rows_read);
            return r;
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    real.set(proxy, stmt);
    return proxy;
  };
  const batch = async (stmts: D1PreparedStatement[]) => {
    const results = await db.batch(stmts.map((x) => real.get(x) ?? x));
    for (const r of results) rowsRead.push(r.meta.rows_read);
    return results;
  };
  return { db: new Proxy(db, { get: (t, p) => (p === "prepare" ? (sql: string) => wrap(t.prepare(sql)) : p === "batch" ? batch : Reflect.get(t, p).bind(t)) }), rowsRead };
}

beforeAll(async () => {
  for (const status of ["received", "unmatched"]) {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized)
       SELECT 'segment:hot_' || ?2 || '_' || i, 'segment', 'track', ?2, ?3, ?3, '[]' FROM n`,
    )
      .bind(BACKLOG, status, now)
      .run();
  }
});

describe("statements on the inbox with a backlog of 3,000 received and 3,000 unmatched rows", () => {
  it("marks a customer's rows processed, guarding the commit, reading only those rows", async () => {
    const [r] = await env.DB.batch([...markAppliedStmts(env.DB, [{ customerId: "cu_hot", rows: storedRows(["segment:hot_received_1", "segment:hot_received_2"]), linking: [], expectedVersion: null, held: null, loyaltySeq: null }], now)]);
    expect(r!.meta.changes).toBe(2);
    expect(r!.meta.rows_read).toBeLessThan(20);
  });

  it("stores a webhook's delivery and reads whether it waits for the queue, reading only its own row", async () => {
    const { db, rowsRead } = readsOf(env.DB);
    const row = inboxRow("stripe", { dedupeKey: "evt_hot_1", vendorType: "invoice.paid", occurredAt: now, events: [], raw: "{}" }, now, "hot");
    expect((await commitDeliveries(db, [row])).inserted).toEqual([row.id]);
    expect(Math.max(...rowsRead)).toBeLessThan(20);
  });

  it("linking a key re-drives the events waiting for it, reading only theirs (migrations/0026_redrive_triggers.sql)", async () => {
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO customers (id, state, version, alerts, created_at, updated_at) VALUES ('cu_hot_link', '{}', 1, '{}', ?, ?) ON CONFLICT DO NOTHING`).bind(now, now),
      env.DB.prepare(`INSERT INTO unmatched_keys (kind, value, event_id) VALUES ('domain', 'hot.example', 'segment:hot_unmatched_7')`),
    ]);
    const [r] = await env.DB.batch([env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('domain', 'hot.example', 'cu_hot_link', ?)`).bind(now)]);
    expect(r!.meta.rows_read).toBeLessThan(20);
    const rows = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' AND id LIKE 'segment:hot_unmatched_%'`).all<{ id: string }>();
    expect(rows.results.map((x) => x.id)).toEqual(["segment:hot_unmatched_7"]);
  });
});
