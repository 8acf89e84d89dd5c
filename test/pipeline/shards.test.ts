import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { applyGroups, resolveEvents } from "../../src/pipeline";
import { shardName, shardOf } from "../../src/shard/route";
import worker from "../../src/index";
import { receiveNormalized } from "../support/inbox";
import { redriveUnmatched } from "../../src/store/identity";
import { staleReceived } from "../../src/store/inbox";
import { MAX_EVENT_ATTEMPTS, SWEEP_AFTER_MS } from "../../src/cron";

const SHARDS = 16;
let seq = 0;

/** The real events consumer with account shards on (16 here; the deployment default is 256). */
async function runQueue(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(queue, bodies.map((body) => ({ id: `shard-msg-${++seq}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  let error: unknown;
  try {
    await worker.queue!(batch as MessageBatch<never>, { ...env, ACCOUNT_SHARDS: String(SHARDS) } as never);
  } catch (err) {
    error = err;
  }
  return { ...(await getQueueResult(batch, ctx)), error };
}

const DAY = 86_400_000;

const invoice = (id: string, customer: string, domain: string, at: number): NormalizedEvent => ({
  id: `stripe:${id}`,
  source: "stripe",
  type: "invoice.paid",
  occurredAt: at,
  subject: { stripeCustomerId: customer, email: `ops@${domain}`, domain },
  invoiceId: `in_${id}`,
  reason: "first",
  amountPaid: 4900,
  currency: "usd",
});

const customerOf = async (kind: string, value: string) =>
  (await env.DB.prepare(`SELECT customer_id AS id FROM identities WHERE kind = ? AND value = ?`).bind(kind, value).first<{ id: string }>())?.id;

describe("account shards", () => {
  it("puts every customer id on one shard in range, and spreads ids evenly", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 4096 }), (id, n) => {
        const s = shardOf(id, n);
        expect(s).toBe(shardOf(id, n));
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(n);
      }),
    );
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 4000; i++) counts[shardOf(`cu_${i.toString(16).padStart(20, "0")}`, 16)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(4000 / 16 / 2);
    expect(Math.max(...counts)).toBeLessThan((4000 / 16) * 1.5);
  });

  it("applies a batch's customers on their shards' Durable Objects, each customer on one", async () => {
    const now = Date.now();
    const events = Array.from({ length: 30 }, (_, i) => invoice(`evt_shard_${i}`, `cus_shard_${i}`, `shard${i}.example`, now - DAY));
    await receiveNormalized(events, now);
    const run = await runQueue("tenure-events", events.map((e) => ({ eventId: e.id })));
    expect(run.error).toBeUndefined();
    expect(run.explicitAcks).toHaveLength(30);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_shard_%' AND status = 'processed'`).first<{ n: number }>())!;
    expect(n).toBe(30);
    const shards = SHARDS;
    const byShard = new Map<number, number>();
    for (let i = 0; i < 30; i++) {
      const id = (await customerOf("stripe", `cus_shard_${i}`))!;
      byShard.set(shardOf(id, shards), (byShard.get(shardOf(id, shards)) ?? 0) + 1);
    }
    let served = 0;
    for (const [n, customers] of byShard) {
      const stats = await env.SHARDS!.get(env.SHARDS!.idFromName(shardName(n))).stats();
      expect(stats.customers).toBeGreaterThanOrEqual(customers);
      served += stats.customers;
    }
    expect(served).toBeGreaterThanOrEqual(30);
    expect(byShard.size).toBeGreaterThan(8);
  });

  it("resolves two batches consumed at once as if in order: a key linked first by the other batch retries the event, which then joins that customer", async () => {
    const now = Date.now();
    const deps = { db: env.DB, cfg: defaultConfig, now };
    // Two Stripe customers of one company (one email domain), each new, in batches resolved before either commits.
    const a = invoice("evt_race_a", "cus_race_a", "race.example", now - 2 * DAY);
    const b = invoice("evt_race_b", "cus_race_b", "race.example", now - DAY);
    await receiveNormalized([a, b], now);
    const first = await resolveEvents(deps, [a.id]);
    const second = await resolveEvents(deps, [b.id]);
    expect(first.groups).toHaveLength(1);
    expect(second.groups).toHaveLength(1);
    expect(second.groups[0]![0]).not.toBe(first.groups[0]![0]);

    const applied = await applyGroups(deps, first.groups);
    expect(applied.done).toEqual([a.id]);
    const lost = await applyGroups(deps, second.groups);
    expect(lost.done).toEqual([]);
    expect(lost.retry).toEqual([b.id]);
    expect(await customerOf("stripe", "cus_race_b")).toBeUndefined();

    // The redelivery resolves against the link the other batch committed: one customer, as in order.
    const again = await resolveEvents({ ...deps, now: now + 1 }, [b.id]);
    const done = await applyGroups({ ...deps, now: now + 1 }, again.groups);
    expect(done.done).toEqual([b.id]);
    const owner = await customerOf("domain", "race.example");
    expect(await customerOf("stripe", "cus_race_a")).toBe(owner);
    expect(await customerOf("stripe", "cus_race_b")).toBe(owner);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers WHERE domain = 'race.example'`).first<{ n: number }>())!;
    expect(n).toBe(1);
  });

  it("applies a duplicate message claimed by two consumers at once only once", async () => {
    const now = Date.now();
    const deps = { db: env.DB, cfg: defaultConfig, now };
    const e = invoice("evt_dup_1", "cus_dup_1", "dup.example", now - DAY);
    await receiveNormalized([e], now);
    const one = await resolveEvents(deps, [e.id]);
    const two = await resolveEvents(deps, [e.id]);
    expect((await applyGroups(deps, one.groups)).done).toEqual([e.id]);
    const id = (await customerOf("stripe", "cus_dup_1"))!;
    const before = await env.DB.prepare(`SELECT version FROM customers WHERE id = ?`).bind(id).first<{ version: number }>();
    // The second commit's guard finds the row applied: nothing is written, and the message is retried...
    const second = await applyGroups(deps, two.groups);
    expect(second.done).toEqual([]);
    expect(second.retry).toEqual([e.id]);
    expect(await env.DB.prepare(`SELECT version FROM customers WHERE id = ?`).bind(id).first<{ version: number }>()).toEqual(before);
    // ...and its retry claims nothing.
    expect((await resolveEvents(deps, [e.id])).groups).toEqual([]);
  });

  it("retries a step whose customer another writer moved on since it was read, and applies it from the fresh row", async () => {
    const now = Date.now();
    const deps = { db: env.DB, cfg: defaultConfig, now };
    const first = invoice("evt_ver_1", "cus_ver_1", "ver.example", now - 2 * DAY);
    await receiveNormalized([first], now);
    await applyGroups(deps, (await resolveEvents(deps, [first.id])).groups);
    const id = (await customerOf("stripe", "cus_ver_1"))!;
    const second = { ...invoice("evt_ver_2", "cus_ver_1", "ver.example", now - DAY), invoiceId: "in_evt_ver_2", reason: "renewal" as const };
    await receiveNormalized([second], now);
    const { groups } = await resolveEvents(deps, [second.id]);
    // Another writer (the daily recompute, a merge) commits after the step read the customer, just before its commit.
    const texts = new WeakMap<object, string>();
    let raced = false;
    const racing = {
      prepare: (sql: string) => {
        const stmt = env.DB.prepare(sql);
        texts.set(stmt, sql);
        const bind = stmt.bind.bind(stmt);
        stmt.bind = (...v: unknown[]) => {
          const bound = bind(...v);
          texts.set(bound, sql);
          return bound;
        };
        return stmt;
      },
      batch: async (stmts: D1PreparedStatement[]) => {
        if (!raced && /UPDATE inbox_events SET customer_id/.test(texts.get(stmts[0]!) ?? "")) {
          raced = true;
          await env.DB.prepare(`UPDATE customers SET version = version + 1 WHERE id = ?`).bind(id).run();
        }
        return env.DB.batch(stmts);
      },
    } as unknown as D1Database;
    const lost = await applyGroups({ ...deps, db: racing }, groups);
    expect(raced).toBe(true);
    expect(lost.done).toEqual([]);
    expect(lost.retry).toEqual([second.id]);
    expect((await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = ?`).bind(second.id).first<{ status: string }>())?.status).toBe("received");
    const again = await applyGroups(deps, (await resolveEvents(deps, [second.id])).groups);
    expect(again.done).toEqual([second.id]);
    const state = (await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(id).first<{ state: string }>())!.state;
    expect(state).toContain("in_evt_ver_2");
  });

  it("consumes overlapping batches in parallel through the real shards with every event applied once and one customer per company", async () => {
    const now = Date.now();
    const events = Array.from({ length: 24 }, (_, i) => invoice(`evt_par_${i}`, `cus_par_${i}`, `par${i % 6}.example`, now - (24 - i) * 3_600_000));
    await receiveNormalized(events, now);
    const bodies = events.map((e) => ({ eventId: e.id }));
    // Every message twice, in three batches consumed at once, as at-least-once delivery and max_concurrency allow.
    const runs = await Promise.all([runQueue("tenure-events", bodies.slice(0, 16)), runQueue("tenure-events", bodies.slice(8, 24)), runQueue("tenure-events", [...bodies.slice(0, 8), ...bodies.slice(16)])]);
    for (const r of runs) expect(r.error).toBeUndefined();
    for (let round = 0; round < 5; round++) {
      const left = await env.DB.prepare(`SELECT id FROM inbox_events WHERE id LIKE 'stripe:evt_par_%' AND status = 'received'`).all<{ id: string }>();
      if (left.results.length === 0) break;
      await runQueue("tenure-events", left.results.map((r) => ({ eventId: r.id })));
    }
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_par_%' AND status = 'processed'`).first<{ n: number }>())!;
    expect(n).toBe(24);
    for (let d = 0; d < 6; d++) {
      const owners = new Set<string>();
      for (let i = d; i < 24; i += 6) owners.add((await customerOf("stripe", `cus_par_${i}`))!);
      expect(owners.size).toBe(1);
      const row = await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind([...owners][0]).first<{ state: string }>();
      // Each of the company's four invoices counted once.
      expect(Object.keys(JSON.parse(row!.state).billing.invoices)).toHaveLength(4);
    }
  });

  it("retries an event it found unmatched when a batch consumed at once links its key before the event is recorded as unmatched", async () => {
    const now = Date.now();
    const ticket = await receiveTicket("t_race", "late.example", now);
    const invoiceEv = invoice("evt_late_inv", "cus_late", "late.example", now - DAY);
    await receiveNormalized([invoiceEv], now);
    // Batch A has read the identities (no customer for late.example) when batch B commits the customer and
    // re-drives what waits for its keys (nothing yet); only then does A record its event as unmatched.
    let interleaved = false;
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== "batch") return Reflect.get(target, prop).bind(target);
        return async (stmts: D1PreparedStatement[]) => {
          if (!interleaved) {
            interleaved = true;
            const other = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [invoiceEv.id]);
            const applied = await applyGroups({ db: env.DB, cfg: defaultConfig, now }, other.groups);
            expect(applied.done).toEqual([invoiceEv.id]);
            expect(await redriveUnmatched(env.DB, applied.newKeys)).toEqual([]);
          }
          return target.batch(stmts);
        };
      },
    });
    const a = await resolveEvents({ db, cfg: defaultConfig, now }, [ticket]);
    expect(interleaved).toBe(true);
    expect(a.result.retry).toEqual([ticket]);
    expect(await statusOf(ticket)).toBe("received");
    // Its redelivery finds the customer.
    const again = await resolveEvents({ db: env.DB, cfg: defaultConfig, now: now + 1 }, [ticket]);
    expect((await applyGroups({ db: env.DB, cfg: defaultConfig, now: now + 1 }, again.groups)).done).toEqual([ticket]);
    expect(await env.DB.prepare(`SELECT customer_id FROM inbox_events WHERE id = ?`).bind(ticket).first("customer_id")).toBe(await customerOf("stripe", "cus_late"));
  });

  it("re-drives the events waiting for a key in the commit that links it, so a consumer that dies after the commit leaves none waiting", async () => {
    const now = Date.now();
    const ticket = await receiveTicket("t_wait", "waits.example", now);
    const first = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [ticket]);
    expect(first.result.done).toEqual([ticket]);
    expect(await statusOf(ticket)).toBe("unmatched");
    const inv = invoice("evt_waits_inv", "cus_waits", "waits.example", now - DAY);
    await receiveNormalized([inv], now);
    const resolved = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, [inv.id]);
    // The shard commits; the consumer that would re-drive the waiting event dies before it does.
    expect((await applyGroups({ db: env.DB, cfg: defaultConfig, now }, resolved.groups)).done).toEqual([inv.id]);
    expect(await statusOf(ticket)).toBe("received");
    // The sweeper hands it to the queue at its next run.
    const stale = await staleReceived(env.DB, now + SWEEP_AFTER_MS + 1, SWEEP_AFTER_MS, MAX_EVENT_ATTEMPTS);
    expect(stale.map((r) => r.id)).toContain(ticket);
    const again = await resolveEvents({ db: env.DB, cfg: defaultConfig, now: now + 1 }, [ticket]);
    expect((await applyGroups({ db: env.DB, cfg: defaultConfig, now: now + 1 }, again.groups)).done).toEqual([ticket]);
    expect(await statusOf(ticket)).toBe("processed");
  });
});

/** A Zendesk ticket from someone at `domain`: it matches by domain but cannot create a customer. */
async function receiveTicket(id: string, domain: string, now: number): Promise<string> {
  const e: NormalizedEvent = {
    id: `zendesk:${id}`,
    source: "zendesk",
    type: "ticket.changed",
    occurredAt: now - 3_600_000,
    subject: { email: `someone@${domain}`, domain },
    desk: "zendesk",
    ticketId: id,
    status: "open",
    openedAt: now - 3_600_000,
  } as NormalizedEvent;
  await env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES (?, 'zendesk', 'ticket.created', 'received', ?, ?, ?)`)
    .bind(e.id, e.occurredAt, now, JSON.stringify([e]))
    .run();
  return e.id;
}

const statusOf = async (id: string) => env.DB.prepare(`SELECT status FROM inbox_events WHERE id = ?`).bind(id).first<string>("status");
