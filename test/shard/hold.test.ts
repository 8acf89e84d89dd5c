import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import { mergeCustomers } from "../../src/jobs/merge";
import { resolveEvents, scoreStep } from "../../src/pipeline";
import type { AccountShard } from "../../src/shard/account-shard";
import { flushHeld, splitHeld } from "../../src/shard/hold";
import { shardName, shardOf } from "../../src/shard/route";
import { carriedApp } from "../support/carried";
import { runQueue } from "../support/drain";
import { memoryHeldRows } from "../support/held-rows";
import { KEPT_DELIVERIES } from "../support/inbox";
import { capturingQueue } from "../support/jobs";
import { signSegment } from "../support/sign/segment";

const URL_ = "https://tenure.example.com/webhooks/segment";
const HOUR = 3_600_000;
const SHARDS = 4;

let n = 0;
function track(group: string, at: number, user = `held_user_${++n}`) {
  return JSON.stringify({
    type: "track",
    event: "Report Exported",
    userId: user,
    messageId: `held-${++n}-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(at).toISOString(),
    context: { groupId: group, traits: { email: `${user}@${group}.example` } },
    properties: { format: "csv" },
  });
}

const deliveryId = (body: string) => `segment:${(JSON.parse(body) as { messageId: string }).messageId}`;
const stubOf = (customerId: string) => env.SHARDS!.get(env.SHARDS!.idFromName(shardName(shardOf(customerId, SHARDS))));

async function customerOf(group: string) {
  return (await env.DB.prepare(`SELECT c.id, c.version, c.score, c.band, c.stage, c.state FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'segment_group' AND i.value = ?`)
    .bind(group)
    .first<{ id: string; version: number; score: number; band: string; stage: string; state: string }>())!;
}

async function timelineOf(customerId: string) {
  const { results } = await env.DB.prepare(`SELECT at, score, band, stage FROM score_history WHERE customer_id = ? ORDER BY at`).bind(customerId).all();
  return results;
}

/** The app with shards on and a hold: what it sends goes through the real consumer and the real AccountShard objects. */
function shardedApp(holdMs: number) {
  const app = carriedApp();
  Object.assign(app.overrides, { ACCOUNT_SHARDS: String(SHARDS), SHARD_HOLD_MS: String(holdMs) });
  return app;
}

/** The held rows' time has come: their due time moves to now, and the alarm of every shard holding some runs. */
async function alarmsFire(): Promise<number> {
  let fired = 0;
  for (let s = 0; s < SHARDS; s++) {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(s)));
    const holding = await runInDurableObject(stub, async (_i: AccountShard, state) => {
      state.storage.sql.exec(`UPDATE held_rows SET due_at = 0`);
      return state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM held_rows`).one().n;
    });
    if (holding > 0 && (await runDurableObjectAlarm(stub))) fired++;
  }
  return fired;
}

describe("usage deliveries held in their account shard (SHARD_HOLD_MS, src/shard/hold.ts)", () => {
  it("are acked at once, kept in the shard's storage, and applied by its alarm, leaving what applying them at once leaves", async () => {
    const now = Date.now();
    const accounts = Array.from({ length: 8 }, (_, i) => i);
    // The accounts exist first (a new account links its id, so it is never held), two of each: one held, one not.
    const setup = shardedApp(60_000);
    for (const i of accounts) for (const side of ["h", "d"]) await setup.post(URL_, ...(await signed(track(`acct_${side}_${i}`, now - 40 * HOUR))));
    await setup.apply();
    for (const i of accounts) for (const side of ["h", "d"]) expect((await customerOf(`acct_${side}_${i}`)).id).toBeTruthy();

    const held = shardedApp(60_000);
    const bodies = accounts.flatMap((i) => [3, 2, 1].map((h) => track(`acct_h_${i}`, now - h * HOUR)));
    for (const b of bodies) expect((await held.post(URL_, ...(await signed(b)))).status).toBe(200);
    const [run] = await held.apply();
    expect(run!.explicitAcks).toHaveLength(bodies.length);
    expect(run!.retryMessages).toEqual([]);
    // Acked, yet nothing in D1: the shards hold them.
    const stored = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${KEPT_DELIVERIES} WHERE id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(bodies.map(deliveryId))).first<number>("n");
    expect(stored).toBe(0);
    const before = await Promise.all(accounts.map((i) => customerOf(`acct_h_${i}`)));
    // /health shows them, where an operator looks for what waits to be applied.
    const health = await (await held.get("https://tenure.example.com/health")).json<{ queues: { events: { backlog: number | null; held: number | null } } }>();
    expect(health.queues.events).toEqual({ backlog: 0, held: bodies.length });

    // A redelivery of a held delivery is answered as done and held once.
    const again = shardedApp(60_000);
    await again.post(URL_, ...(await signed(bodies[0]!)));
    const [rerun] = await again.apply();
    expect(rerun!.explicitAcks).toHaveLength(1);

    expect(await alarmsFire()).toBeGreaterThan(0);
    const statuses = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM ${KEPT_DELIVERIES} WHERE id IN (SELECT value FROM json_each(?)) GROUP BY status`).bind(JSON.stringify(bodies.map(deliveryId))).all();
    expect(statuses.results).toEqual([{ status: "processed", n: bodies.length }]);
    for (const [k, i] of accounts.entries()) {
      const c = await customerOf(`acct_h_${i}`);
      // One step per customer for its three deliveries: the version moves once.
      expect(c.version).toBe(before[k]!.version + 1);
    }
    let flushed = 0;
    for (let s = 0; s < SHARDS; s++) {
      const stats = await env.SHARDS!.get(env.SHARDS!.idFromName(shardName(s))).stats();
      flushed += stats.flushed.applied;
      expect(stats.holding).toBe(0);
    }
    expect(flushed).toBe(bodies.length);

    // The same facts applied at once, into the twin accounts.
    const direct = shardedApp(0);
    for (const i of accounts) for (const h of [3, 2, 1]) await direct.post(URL_, ...(await signed(track(`acct_d_${i}`, now - h * HOUR))));
    await direct.apply();
    for (const i of accounts) {
      const [h, d] = [await customerOf(`acct_h_${i}`), await customerOf(`acct_d_${i}`)];
      expect({ score: h.score, band: h.band, stage: h.stage }).toEqual({ score: d.score, band: d.band, stage: d.stage });
      expect(usageDays(h.state)).toEqual(usageDays(d.state));
      expect(await timelineOf(h.id)).toEqual(await timelineOf(d.id));
    }
  });

  it("a delivery applied at once takes the held rows of its customer along", async () => {
    const now = Date.now();
    const app = shardedApp(60_000);
    await app.post(URL_, ...(await signed(track("acct_along", now - 30 * HOUR))));
    await app.apply();
    const customer = await customerOf("acct_along");
    const heldBody = track("acct_along", now - 2 * HOUR);
    await app.post(URL_, ...(await signed(heldBody)));
    await app.apply();
    expect((await stubOf(customer.id).stats()).holding).toBe(1);

    // A delivery given back by a shard (or any that is not held) is applied at once, with what the customer holds.
    const body = track("acct_along", now - HOUR);
    const app2 = shardedApp(60_000);
    await app2.post(URL_, ...(await signed(body)));
    const message = app2.sent.splice(0)[0] as { delivery: unknown };
    const run = await runQueue("tenure-events", [{ ...message, direct: true }], app2.overrides);
    expect(run.explicitAcks).toHaveLength(1);
    const rows = await env.DB.prepare(`SELECT id, status FROM ${KEPT_DELIVERIES} WHERE id IN (?, ?) ORDER BY id`).bind(deliveryId(heldBody), deliveryId(body)).all<{ status: string }>();
    expect(rows.results.map((r) => r.status)).toEqual(["processed", "processed"]);
    expect((await stubOf(customer.id).stats()).holding).toBe(0);
    expect((await customerOf("acct_along")).version).toBe(customer.version + 1);
  });

  it("a flush gives back what it cannot apply (a customer merged away), drops what the inbox already has, and tries again later when D1 fails", async () => {
    const now = Date.now();
    const app = shardedApp(0);
    const accounts = ["acct_fl_a", "acct_fl_b", "acct_fl_c"];
    for (const g of accounts) await app.post(URL_, ...(await signed(track(g, now - 3 * HOUR))));
    await app.apply();
    const [a, b, c] = await Promise.all(accounts.map(customerOf));
    // Three later deliveries, resolved as a consumer would, then held.
    const laterApp = shardedApp(0);
    for (const g of accounts) await laterApp.post(URL_, ...(await signed(track(g, now - HOUR))));
    const carried = laterApp.sent.splice(0).map((m) => ({ d: (m as { delivery: never }).delivery, attempts: 1 }));
    const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [], carried);
    const { hold, direct } = splitHeld(groups, 5_000);
    expect(direct).toEqual([]);
    const store = memoryHeldRows();
    store.hold(hold, now + 5_000, { cfg: defaultConfig });
    expect(store.due(now, 100, 500).groups).toEqual([]);

    // b merged into a meanwhile; c's delivery was applied by another path.
    const merged = await mergeCustomers({ db: env.DB, cfg: defaultConfig, now }, scoreStep, { survivorId: a!.id, loserId: b!.id, via: "admin", reason: "test" });
    expect(merged.status).toBe("merged");
    const cRow = hold.find(([id]) => id === c!.id)![1][0]!.row;
    await env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, attempts, normalized) VALUES (?, 'segment', 'track', 'processed', ?, ?, 1, '[]')`)
      .bind(cRow.id, cRow.occurredAt, now)
      .run();

    // D1 unreachable: nothing is lost, the rows fall due again later.
    const failing = { prepare: () => { throw new Error("D1_ERROR: unreachable"); } } as unknown as D1Database;
    const events = capturingQueue();
    const actions = capturingQueue();
    expect(await flushHeld(store, { db: failing, events: events as never, actions: actions as never }, now + 5_000)).toEqual({ applied: 0, stored: 0, returned: 0 });
    expect(store.count()).toBe(3);
    expect(store.nextDue()).toBeGreaterThan(now + 5_000);

    const out = await flushHeld(store, { db: env.DB, events: events as never, actions: actions as never }, now + 60_000);
    expect(out).toEqual({ applied: 1, stored: 1, returned: 1 });
    expect(store.count()).toBe(0);
    const aRow = hold.find(([id]) => id === a!.id)![1][0]!.row;
    expect(await env.DB.prepare(`SELECT status, customer_id FROM ${KEPT_DELIVERIES} WHERE id = ?`).bind(aRow.id).first()).toEqual({ status: "processed", customer_id: a!.id });
    // The merged-away customer's delivery goes back marked direct: the consumer resolves it again, to the survivor, and applies it at once.
    const bRow = hold.find(([id]) => id === b!.id)![1][0]!.row;
    const back = events.sent.filter((m) => (m as { delivery?: { id: string } }).delivery?.id === bRow.id);
    expect(back).toEqual([{ delivery: expect.objectContaining({ id: bRow.id, events: bRow.events }), direct: true }]);
    // (The survivor's copy in its shard predates this flush, which ran outside the shard: its first commit is refused and retried.)
    const consumer = shardedApp(60_000);
    consumer.sent.push(...back);
    await consumer.apply();
    expect(consumer.sent).toEqual([]);
    expect(await env.DB.prepare(`SELECT status, customer_id FROM ${KEPT_DELIVERIES} WHERE id = ?`).bind(bRow.id).first()).toEqual({ status: "processed", customer_id: a!.id });
  });
});

async function signed(body: string): Promise<[string, Record<string, string>]> {
  return [body, await signSegment("segment_secret", body)];
}

/** Each day's features and how many distinct users (their hashes differ between the twin accounts). */
function usageDays(state: string): unknown {
  const days = (JSON.parse(state) as { usage?: { days?: Record<string, { f: string[]; u: { h: number[] } }> } }).usage?.days ?? {};
  return Object.fromEntries(Object.entries(days).map(([day, d]) => [day, { f: d.f, users: d.u.h.length }]));
}
