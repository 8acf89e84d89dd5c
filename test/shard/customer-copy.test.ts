import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { applyGroups, resolveEvents } from "../../src/pipeline";
import { COPY_RETENTION_MS, SqlCustomerCopies, type CustomerCopies } from "../../src/shard/customer-copy";
import type { AccountShard } from "../../src/shard/account-shard";
import { shardName } from "../../src/shard/route";
import type { CustomerRow } from "../../src/store/customers";
import { receiveNormalized } from "../support/inbox";
import { countingD1 } from "../support/jobs";
import { seedPersonIds } from "../../src/core/erasure";
import { erasePage } from "../../src/jobs/erase";
import type { EraseJob } from "../../src/jobs/messages";
import { startErasureStmts } from "../../src/store/privacy";

const DAY = 86_400_000;

const invoice = (id: string, customer: string, at: number, amountPaid = 4900): NormalizedEvent => ({
  id: `stripe:${id}`,
  source: "stripe",
  type: "invoice.paid",
  occurredAt: at,
  subject: { stripeCustomerId: customer, email: `ops@${customer}.example`, domain: `${customer}.example` },
  invoiceId: `in_${id}`,
  reason: "first",
  amountPaid,
  currency: "usd",
});

function memoryCopies(): CustomerCopies & { rows: Map<string, CustomerRow> } {
  const rows = new Map<string, CustomerRow>();
  return {
    rows,
    get: (ids) => new Map(ids.flatMap((id) => (rows.has(id) ? [[id, { ...rows.get(id)! }] as const] : []))),
    put: (list) => list.forEach((r) => rows.set(r.id, { ...r })),
    drop: (ids) => ids.forEach((id) => rows.delete(id)),
  };
}

async function apply(copies: CustomerCopies, e: NormalizedEvent, now: number, db: D1Database = env.DB) {
  await receiveNormalized([e], now);
  const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [e.id]);
  return applyGroups({ db, cfg: defaultConfig, now }, groups, copies);
}

const d1Row = (id: string) => env.DB.prepare(`SELECT id, version, state, health, stage, stage_since, alerts, timeline_through FROM customers WHERE id = ?`).bind(id).first<CustomerRow>();

describe("an account shard's copies of its customer rows", () => {
  it("hold exactly the row the commit wrote, and spare the next step its read of the customer", async () => {
    const now = Date.now();
    const copies = memoryCopies();
    expect((await apply(copies, invoice("evt_cc_1", "cus_cc_a", now - 2 * DAY), now)).done).toEqual(["stripe:evt_cc_1"]);
    const [id] = [...copies.rows.keys()];
    expect(copies.rows.get(id!)).toEqual(await d1Row(id!));

    const { db, counts } = countingD1(env.DB);
    expect((await apply(copies, invoice("evt_cc_2", "cus_cc_a", now - DAY), now, db)).done).toEqual(["stripe:evt_cc_2"]);
    // Only the commit's guard looks at the customer row (its version); nothing reads it.
    expect(counts.sql.filter((s) => /FROM customers\b/.test(s)).map((s) => s.trim().slice(0, 30))).toEqual(["INSERT INTO batch_guard (x) SE"]);
    expect(copies.rows.get(id!)).toEqual(await d1Row(id!));
    expect(JSON.parse((await d1Row(id!))!.state).billing.invoices).toBeDefined();
  });

  it("fail the commit once when another writer moved the customer on, then the retry applies from D1's row", async () => {
    const now = Date.now();
    const copies = memoryCopies();
    await apply(copies, invoice("evt_cc_3", "cus_cc_b", now - 2 * DAY), now);
    const [id] = [...copies.rows.keys()];
    // A snooze from the dashboard: another writer, which moves the version on.
    await env.DB.prepare(`UPDATE customers SET alerts = json_set(alerts, '$.snoozedUntil', ?), version = version + 1 WHERE id = ?`).bind(now + DAY, id).run();

    const e = invoice("evt_cc_4", "cus_cc_b", now - DAY);
    const first = await apply(copies, e, now);
    expect(first).toMatchObject({ done: [], retry: [e.id] });
    expect(copies.rows.has(id!)).toBe(false);
    const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [e.id]);
    expect((await applyGroups({ db: env.DB, cfg: defaultConfig, now }, groups, copies)).done).toEqual([e.id]);
    const row = (await d1Row(id!))!;
    expect(JSON.parse(row.alerts).snoozedUntil).toBe(now + DAY);
    expect(row.version).toBe(3);
    expect(copies.rows.get(id!)).toEqual(row);
  });

  it("live in the shard's SQLite storage and are pruned once unused for the retention", async () => {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_999)));
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      const copies = new SqlCustomerCopies(state.storage.sql);
      const row = (id: string): CustomerRow => ({ id, version: 3, state: "{}", health: null, stage: "purchase", stage_since: 1, alerts: "{}", timeline_through: "2026-12-01" });
      copies.put([row("cu_old")], 1_000);
      expect(copies.get(["cu_old", "cu_none"])).toEqual(new Map([["cu_old", row("cu_old")]]));
      copies.put([row("cu_new")], 1_000 + COPY_RETENTION_MS + 3_600_001);
      expect([...copies.get(["cu_old", "cu_new"]).keys()]).toEqual(["cu_new"]);
      copies.drop(["cu_new"]);
      expect(copies.get(["cu_new"]).size).toBe(0);
    });
  });
});

describe("an erasure and the shards' copies", () => {
  it("clears every shard's copies after the customer rows were scrubbed, a page of shards at a time, and fails the page while a shard is unreachable", async () => {
    const now = Date.now();
    const email = "copy.person@copy.example";
    await env.DB.batch(startErasureStmts(env.DB, { id: "er_copies", contactId: `email:${email}`, ids: seedPersonIds({ id: `email:${email}`, email }), now }));
    const forgotten: [number, number][] = [];
    let down = true;
    const shards = {
      count: 250,
      forget: async (from: number, to: number) => {
        if (from === 100 && down) {
          down = false;
          throw new Error("shard unreachable");
        }
        forgotten.push([from, to]);
      },
    };
    let job: EraseJob | null = { job: "erase", erasureId: "er_copies" };
    let failures = 0;
    for (let i = 0; job && i < 200; i++) {
      try {
        job = await erasePage(env.DB, now, job, shards);
      } catch {
        failures++; // the queue retries the page
      }
    }
    expect(job).toBeNull();
    expect(failures).toBe(1);
    expect(forgotten).toEqual([
      [0, 100],
      [100, 200],
      [200, 250],
    ]);
    const erasure = await env.DB.prepare(`SELECT status FROM erasures WHERE id = 'er_copies'`).first<{ status: string }>();
    expect(erasure?.status).toBe("done");
  });

  it("a shard's forget deletes its copies in its turn", async () => {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_998)));
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      new SqlCustomerCopies(state.storage.sql).put([{ id: "cu_forget", version: 1, state: "{}", health: null, stage: null, stage_since: null, alerts: "{}", timeline_through: null }], Date.now());
    });
    await stub.forget();
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      expect(new SqlCustomerCopies(state.storage.sql).get(["cu_forget"]).size).toBe(0);
    });
  });
});

describe("a shard no longer sent anything", () => {
  it("still deletes its copies past their retention, on its alarm, and re-arms it for the ones left", async () => {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_997)));
    const now = Date.now();
    const row = (id: string): CustomerRow => ({ id, version: 1, state: "{}", health: null, stage: null, stage_since: null, alerts: "{}", timeline_through: null });
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      const copies = new SqlCustomerCopies(state.storage.sql);
      copies.put([row("cu_recent")], now - 1_000);
      // Written long ago (a put of its own would have pruned it then): only the alarm deletes it.
      state.storage.sql.exec(`UPDATE customer_copies SET id = 'cu_stale', used_at = ?`, now - COPY_RETENTION_MS - 1);
      copies.put([row("cu_recent")], now - 1_000);
      await state.storage.setAlarm(now);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      expect([...new SqlCustomerCopies(state.storage.sql).get(["cu_stale", "cu_recent"]).keys()]).toEqual(["cu_recent"]);
      expect(await state.storage.getAlarm()).toBe(now - 1_000 + COPY_RETENTION_MS);
    });
  });
});
