import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { applyGroups, resolveEvents } from "../../src/pipeline";
import { COPY_RETENTION_MS, SqlCustomerCopies, type CustomerCopies } from "../../src/shard/customer-copy";
import type { AccountShard } from "../../src/shard/account-shard";
import { shardName, shardOf } from "../../src/shard/route";
import type { CustomerRow } from "../../src/store/customers";
import { receiveNormalized, paidInvoice } from "../support/inbox";
import { loadTimelines } from "../../src/store/timeline";
import { runJobPage } from "../../src/jobs/run";
import { countingD1 } from "../support/jobs";
import { memoryCopies } from "../support/customer-copies";
import { seedPersonIds } from "../../src/core/erasure";
import { erasePage } from "../../src/jobs/erase";
import type { EraseJob } from "../../src/jobs/messages";
import { startErasureStmts } from "../../src/store/privacy";
import { programPositions } from "../../src/store/loyalty";

const DAY = 86_400_000;
const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

const invoice = paidInvoice;

async function apply(copies: CustomerCopies, e: NormalizedEvent, now: number, db: D1Database = env.DB) {
  await receiveNormalized([e], now);
  const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [e.id]);
  return applyGroups({ db, cfg: defaultConfig, now }, groups, copies);
}

async function idsOf(id: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const { results } = await env.DB.prepare(`SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY rowid`).bind(id).all<{ kind: string; value: string }>();
  for (const r of results) (out[r.kind] ??= []).push(r.value);
  return out;
}

const d1Row = (id: string) => env.DB.prepare(`SELECT id, version, state, health, stage, stage_since, alerts, timeline_through FROM customers WHERE id = ?`).bind(id).first<CustomerRow>();

describe("an account shard's copies of its customer rows", () => {
  it("hold exactly the row the commit wrote, and spare the next step its read of the customer", async () => {
    const now = Date.now();
    const copies = memoryCopies();
    expect((await apply(copies, invoice("evt_cc_1", "cus_cc_a", now - 2 * DAY), now)).done).toEqual(["stripe:evt_cc_1"]);
    const [id] = [...copies.rows.keys()];
    expect(copies.rows.get(id!)!.row).toEqual(await d1Row(id!));

    const { db, counts } = countingD1(env.DB);
    expect((await apply(copies, invoice("evt_cc_2", "cus_cc_a", now - DAY), now, db)).done).toEqual(["stripe:evt_cc_2"]);
    // Only the commit's guard looks at the customer row (its version); nothing reads it.
    expect(counts.sql.filter((s) => /FROM customers\b/.test(s)).map((s) => s.trim().slice(0, 30))).toEqual(["UPDATE inbox_events SET custom"]);
    // Nor its timeline or its ids: the copy holds them.
    expect(counts.sql.filter((s) => /^\s*SELECT .* FROM score_history/.test(s))).toEqual([]);
    expect(counts.sql.filter((s) => /^\s*SELECT kind, value, customer_id FROM identities WHERE customer_id/.test(s))).toEqual([]);
    expect(copies.rows.get(id!)!.externalIds).toEqual(await idsOf(id!));
    const copy = copies.rows.get(id!)!.timeline!;
    expect(copy.points).toEqual((await loadTimelines(env.DB, [{ id: id!, since: copy.since }])).get(id!));
    expect(copies.rows.get(id!)!.row).toEqual(await d1Row(id!));
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
    expect(copies.rows.get(id!)!.row).toEqual(row);
  });

  it("fail the commit once when an id was linked or unlinked without moving the customer's version", async () => {
    const now = Date.now();
    const copies = memoryCopies();
    await apply(copies, invoice("evt_cc_5", "cus_cc_c", now - 2 * DAY), now);
    const [id] = [...copies.rows.keys()];
    expect(copies.rows.get(id!)!.externalIds.stripe).toEqual(["cus_cc_c"]);
    // A HubSpot company linked from the dashboard (src/routes/admin.ts): identities only, the version stays.
    await env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('hubspot', '9001', ?, ?)`).bind(id, now).run();

    const e = invoice("evt_cc_6", "cus_cc_c", now - DAY);
    expect(await apply(copies, e, now)).toMatchObject({ done: [], retry: [e.id] });
    const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [e.id]);
    expect((await applyGroups({ db: env.DB, cfg: defaultConfig, now }, groups, copies)).done).toEqual([e.id]);
    expect(copies.rows.get(id!)!.externalIds).toEqual(await idsOf(id!));
    expect(copies.rows.get(id!)!.externalIds.hubspot).toEqual(["9001"]);

    // And unlinked again: the same.
    await env.DB.prepare(`DELETE FROM identities WHERE kind = 'hubspot' AND value = '9001'`).run();
    const e2 = invoice("evt_cc_7", "cus_cc_c", now - DAY / 2);
    expect(await apply(copies, e2, now)).toMatchObject({ done: [], retry: [e2.id] });
  });

  it("live in the shard's SQLite storage and are pruned once unused for the retention", async () => {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_999)));
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      const copies = new SqlCustomerCopies(state.storage.sql);
      const row = (id: string): CustomerRow => ({ id, version: 3, state: "{}", health: null, stage: "purchase", stage_since: 1, alerts: "{}", timeline_through: "2026-12-01" });
      const timeline = { since: 5, points: [{ at: 4, score: 70, band: "green" as const, stage: "purchase" as const }] };
      const position = { asReferred: null, open: [], paid: 2, badges: ["first_referral"], hasCode: true, seq: 7, validUntil: null };
      copies.put([{ row: row("cu_old"), externalIds: { stripe: ["cus_old"] }, timeline, position }], 1_000);
      expect(copies.get(["cu_old", "cu_none"])).toEqual(new Map([["cu_old", { row: row("cu_old"), externalIds: { stripe: ["cus_old"] }, timeline, position }]]));
      copies.dropTimeline("cu_old");
      expect(copies.get(["cu_old"]).get("cu_old")!.timeline).toBeNull();
      copies.put([{ row: row("cu_new"), externalIds: {}, timeline: null, position: null }], 1_000 + COPY_RETENTION_MS + 3_600_001);
      expect([...copies.get(["cu_old", "cu_new"]).keys()]).toEqual(["cu_new"]);
      copies.drop(["cu_new"]);
      expect(copies.get(["cu_new"]).size).toBe(0);
    });
  });
});

describe("timelines in the copies", () => {
  it("store the same customer rows, timelines and stage changes as steps without copies, across 50 quiet days too", async () => {
    const start = Date.parse("2026-09-01T00:00:00Z");
    const withCopies = memoryCopies();
    // The same facts for two customers, one applied with copies and one without, in the same steps.
    // The last fact comes after 50 quiet days: its step needs the point held from before its trend window.
    const steps: [number, number][] = [[0, 3], [3, 4], [4, 9], [9, 10], [10, 14], [14, 15]];
    // Payments, failures and usage, so that the score moves from day to day.
    const facts = (customer: string): NormalizedEvent[] =>
      Array.from({ length: 15 }, (_, i) => {
        const e = invoice(`evt_tc_${customer}_${i}`, customer, start + (i < 14 ? i * 3 : 92) * DAY + 3_600_000);
        if (i % 3 === 1) return { id: e.id, source: e.source, occurredAt: e.occurredAt, subject: e.subject, type: "payment.failed", invoiceId: `in_fail_${i}`, attemptCount: 1, nextAttemptAt: null, amountDue: 4900, currency: "usd" };
        if (i % 3 === 2) return { id: e.id, source: "segment", occurredAt: e.occurredAt, subject: { ...e.subject, userId: `u${i % 4}` }, type: "usage.tracked", userId: `u${i % 4}`, event: "Report Exported" };
        return e;
      });
    for (const [from, to] of steps) {
      const now = start + (to < 15 ? to * 3 : 93) * DAY;
      for (const [customer, copies] of [["cus_tc_copy", withCopies], ["cus_tc_none", undefined]] as const) {
        const events = facts(customer).slice(from, to);
        await receiveNormalized(events, now);
        const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, events.map((e) => e.id));
        expect((await applyGroups({ db: env.DB, cfg: defaultConfig, now }, groups, copies)).done).toHaveLength(events.length);
      }
    }
    const idOf = async (c: string) => (await env.DB.prepare(`SELECT customer_id AS id FROM identities WHERE kind = 'stripe' AND value = ?`).bind(c).first<{ id: string }>())!.id;
    const [a, b] = [await idOf("cus_tc_copy"), await idOf("cus_tc_none")];
    const timeline = async (id: string) => (await env.DB.prepare(`SELECT at, score, band, stage, components, model_version FROM score_history WHERE customer_id = ? ORDER BY at`).bind(id).all()).results;
    const stages = async (id: string) => (await env.DB.prepare(`SELECT at, from_stage, to_stage FROM stage_transitions WHERE customer_id = ? ORDER BY at`).bind(id).all()).results;
    const row = async (id: string) => env.DB.prepare(`SELECT score, band, stage, stage_since, mrr, timeline_through, version FROM customers WHERE id = ?`).bind(id).first();
    expect((await timeline(a)).length).toBeGreaterThan(5);
    expect(await timeline(a)).toEqual(await timeline(b));
    expect(await stages(a)).toEqual(await stages(b));
    expect(await row(a)).toEqual(await row(b));
  });

  it("are not kept by a step that leaves older days to a job, and the job, run on the shard, drops the one there", async () => {
    const now = Date.now();
    const copies = memoryCopies();
    await apply(copies, invoice("evt_tj_1", "cus_tj", now - 100 * DAY), now);
    const [id] = [...copies.rows.keys()];
    expect(copies.rows.get(id!)!.timeline).not.toBeNull();
    // 99 days to compute up to yesterday: the step computes the newest and leaves the rest to a job.
    await apply(copies, invoice("evt_tj_2", "cus_tj", now - DAY), now);
    expect(copies.rows.get(id!)!.timeline).toBeNull();
    await apply(copies, invoice("evt_tj_3", "cus_tj", now - 3_600_000), now);
    expect(copies.rows.get(id!)!.timeline).not.toBeNull();

    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_996)));
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      new SqlCustomerCopies(state.storage.sql).put([copies.rows.get(id!)!], now);
    });
    expect(await stub.timeline({ customerId: id!, from: dayOf(now - 100 * DAY), to: dayOf(now - 90 * DAY) }, defaultConfig, now)).toBeNull();
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      const copy = new SqlCustomerCopies(state.storage.sql).get([id!]).get(id!)!;
      expect(copy.timeline).toBeNull();
      expect(copy.row).toEqual(copies.rows.get(id!)!.row);
    });
  });

  it("a timeline job message goes to the customer's shard when there are shards", async () => {
    const calls: unknown[] = [];
    const shards = { idFromName: (n: string) => n, get: (n: string) => ({ timeline: async (job: unknown) => (calls.push([n, job]), null) }) };
    const job = { job: "timeline" as const, customerId: "cu_routed", from: "2026-01-01", to: "2026-01-05" };
    expect(await runJobPage({ ...env, SHARDS: shards, ACCOUNT_SHARDS: "16" } as never, { kind: "job", body: job })).toBeNull();
    expect(calls).toEqual([[shardName(shardOf("cu_routed", 16)), { customerId: "cu_routed", from: "2026-01-01", to: "2026-01-05" }]]);
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
      new SqlCustomerCopies(state.storage.sql).put([{ row: { id: "cu_forget", version: 1, state: "{}", health: null, stage: null, stage_since: null, alerts: "{}", timeline_through: null }, externalIds: {}, timeline: null, position: null }], Date.now());
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
      copies.put([{ row: row("cu_recent"), externalIds: {}, timeline: null, position: null }], now - 1_000);
      // Written long ago (a put of its own would have pruned it then): only the alarm deletes it.
      state.storage.sql.exec(`UPDATE customer_copies SET id = 'cu_stale', used_at = ?`, now - COPY_RETENTION_MS - 1);
      copies.put([{ row: row("cu_recent"), externalIds: {}, timeline: null, position: null }], now - 1_000);
      await state.storage.setAlarm(now);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (_instance: AccountShard, state) => {
      expect([...new SqlCustomerCopies(state.storage.sql).get(["cu_stale", "cu_recent"]).keys()]).toEqual(["cu_recent"]);
      expect(await state.storage.getAlarm()).toBe(now - 1_000 + COPY_RETENTION_MS);
    });
  });
});

describe("loyalty positions in the copies", () => {
  const referral = (referred: string, referrer: string, status: string, at: number, releaseAt: number | null) =>
    env.DB.prepare(
      `INSERT INTO referrals (referred_id, referrer_id, code, source, status, attributed_at, reward_amount, currency, release_at, version, write_token, updated_at)
       VALUES (?, ?, 'FRIEND10', 'promotion_code', ?, ?, 2500, 'usd', ?, 1, 'w', ?)`,
    )
      .bind(referred, referrer, status, at - DAY, releaseAt, at)
      .run();
  const readsPosition = (sql: string[]) => sql.some((s) => s.includes("SELECT 'self', ids.id"));
  /** A customer made by one invoice and scored again by a second: the second step read its position and kept it. */
  async function withPosition(key: string, now: number) {
    const copies = memoryCopies();
    await apply(copies, invoice(`evt_${key}_1`, `cus_${key}`, now - 3 * DAY), now);
    await apply(copies, invoice(`evt_${key}_2`, `cus_${key}`, now - 2 * DAY), now);
    const [id] = [...copies.rows.keys()];
    return { copies, id: id! };
  }

  it("spare the next step its read of the customer's place in the program", async () => {
    const now = Date.now();
    const { copies, id } = await withPosition("lp_a", now);
    expect(copies.rows.get(id)!.position).toEqual((await programPositions(env.DB, [id], now)).get(id));

    const { db, counts } = countingD1(env.DB);
    expect((await apply(copies, invoice("evt_lp_a_3", "cus_lp_a", now - DAY), now, db)).done).toEqual(["stripe:evt_lp_a_3"]);
    expect(readsPosition(counts.sql)).toBe(false);
  });

  it("fail the commit once when another customer's step moved the position, then the retry reads it from D1", async () => {
    const now = Date.now();
    const { copies, id } = await withPosition("lp_b", now);
    expect(copies.rows.get(id)!.position).not.toBeNull();
    // A friend's step paid out this customer's referral: it wrote the referral row, not this customer's row.
    await referral("cu_lp_friend", id, "paid", now, null);

    const e = invoice("evt_lp_b_3", "cus_lp_b", now - DAY);
    expect(await apply(copies, e, now)).toMatchObject({ done: [], retry: [e.id] });
    const { db, counts } = countingD1(env.DB);
    const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [e.id]);
    expect((await applyGroups({ db, cfg: defaultConfig, now }, groups, copies)).done).toEqual([e.id]);
    expect(readsPosition(counts.sql)).toBe(true);
    const fresh = (await programPositions(env.DB, [id], now)).get(id)!;
    expect(fresh.paid).toBe(1);
    // The retry saw the paid referral and awarded the first-referral badge: a write of its own that moves the
    // position, so it keeps none...
    expect(fresh.badges).toEqual(["first_referral"]);
    expect(copies.rows.get(id)!.position).toBeNull();
    // ...and the next step reads the position and keeps what D1 holds.
    await apply(copies, invoice("evt_lp_b_4", "cus_lp_b", now - DAY / 2), now);
    expect(copies.rows.get(id)!.position).toEqual((await programPositions(env.DB, [id], now)).get(id));
  });

  it("read the position again once a pending referral falls due, which no write announces", async () => {
    const now = Date.now();
    const copies = memoryCopies();
    await apply(copies, invoice("evt_lp_7", "cus_lp_c", now - 3 * DAY), now);
    const [id] = [...copies.rows.keys()];
    await referral("cu_lp_friend_c", id!, "pending", now, now + 3_600_000);
    await apply(copies, invoice("evt_lp_8", "cus_lp_c", now - 2 * DAY), now);
    const held = copies.rows.get(id!)!.position;
    expect(held).toMatchObject({ open: [], validUntil: now + 3_600_000 });

    const { db, counts } = countingD1(env.DB);
    const later = now + 2 * 3_600_000;
    expect((await apply(copies, invoice("evt_lp_9", "cus_lp_c", now - DAY), later, db)).done).toEqual(["stripe:evt_lp_9"]);
    expect(readsPosition(counts.sql)).toBe(true);
  });
});
