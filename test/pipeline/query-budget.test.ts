import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { applyGroups, processEvents, resolveEvents } from "../../src/pipeline";
import { shardOf } from "../../src/shard/route";
import { recomputePages } from "../../src/recompute";
import { QUERIES_PER_INVOCATION } from "../../src/store/limits";
import { receiveNormalized } from "../support/inbox";
import { countingD1, jobHarness, runPages } from "../support/jobs";

const DAY = 86_400_000;

/** One queue batch as the events consumer gets it: its D1 statements must fit one invocation's budget. */
async function runBatch(events: NormalizedEvent[], now: number) {
  await receiveNormalized(events, now);
  const { db, counts } = countingD1(env.DB);
  const result = await processEvents({ db, cfg: defaultConfig, now }, events.map((e) => e.id));
  return { result, counts };
}

const invoice = (i: number, customer: string, at: number): NormalizedEvent => ({
  id: `stripe:evt_budget_${customer}_${i}`,
  source: "stripe",
  type: "invoice.paid",
  occurredAt: at,
  subject: { stripeCustomerId: customer, email: `ops@${customer}.example`, domain: `${customer}.example` },
  invoiceId: `in_${customer}_${i}`,
  reason: i === 0 ? "first" : "renewal",
  amountPaid: 4900,
  currency: "usd",
});

describe("one events-consumer invocation", () => {
  // Applied in the consumer itself (ACCOUNT_SHARDS = 0): 1.5 times the queue's largest batch (50). With shards,
  // the batch splits into the consumer's invocation and one per shard (the next test).
  it("stays within D1's 1,000 queries for 75 new customers applied in one invocation (the queue sends 50 at most)", async () => {
    const now = Date.now();
    const events = Array.from({ length: 75 }, (_, i) => invoice(0, `cus_budget_${i}`, now - 365 * DAY));
    const { result, counts } = await runBatch(events, now);
    expect(result.retry).toEqual([]);
    expect(result.done).toHaveLength(75);
    expect(counts.statements).toBeLessThan(QUERIES_PER_INVOCATION);
    // The daily recompute extends each timeline to today: a year of days beyond one step's 62 continues as jobs.
    const page = await recomputePages(env as never, defaultConfig, now, { maxPages: 1 });
    expect(page.timelineJobs.filter((j) => j.customerId.startsWith("cu_")).length).toBeGreaterThanOrEqual(75);
    expect(page.timelineJobs.every((j) => j.to < new Date(now - 61 * DAY).toISOString().slice(0, 10))).toBe(true);
    console.log(`75 new customers, one batch: ${counts.calls} D1 calls, ${counts.statements} statements`);
  });

  it("splits a batch of 50 new customers between the consumer's invocation and one invocation per account shard, each within budget", async () => {
    const now = Date.now();
    const events = Array.from({ length: 50 }, (_, i) => invoice(0, `cus_sharded_${i}`, now - 365 * DAY));
    await receiveNormalized(events, now);
    const consumer = countingD1(env.DB);
    const { groups } = await resolveEvents({ db: consumer.db, cfg: defaultConfig, now }, events.map((e) => e.id));
    expect(groups).toHaveLength(50);
    expect(consumer.counts.statements).toBeLessThan(QUERIES_PER_INVOCATION / 4);
    // The fewest shards the default spreads 50 customers over (the count is a deployment setting): 8 here.
    const byShard = new Map<number, typeof groups>();
    for (const g of groups) byShard.set(shardOf(g[0], 8), [...(byShard.get(shardOf(g[0], 8)) ?? []), g]);
    let most = 0;
    for (const list of byShard.values()) {
      const shard = countingD1(env.DB);
      const r = await applyGroups({ db: shard.db, cfg: defaultConfig, now }, list);
      expect(r.retry).toEqual([]);
      most = Math.max(most, shard.counts.statements);
    }
    expect(most).toBeLessThan(QUERIES_PER_INVOCATION / 4);
    console.log(`50 new customers: consumer ${consumer.counts.statements} statements, busiest of 8 shards ${most}`);
  });

  it("stays within the budget for 100 events of one customer", async () => {
    const now = Date.now();
    const events = Array.from({ length: 100 }, (_, i) => invoice(i, "cus_budget_one", now - (100 - i) * DAY));
    const { result, counts } = await runBatch(events, now);
    expect(result.done).toHaveLength(100);
    expect(counts.statements).toBeLessThan(QUERIES_PER_INVOCATION);
  });
});

describe("a timeline job", () => {
  it("recomputes a long past in bounded pages through the queue until it reaches the first fact", async () => {
    const now = Date.now();
    const row = await env.DB.prepare(`SELECT c.id FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = 'cus_budget_0'`).first<{ id: string }>();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const h = jobHarness();
    const runs = await runPages(h, [{ job: "timeline", customerId: row!.id, from: day(now - 365 * DAY), to: day(now - 62 * DAY) }]);
    expect(runs.every((r) => r.acked && !r.retried)).toBe(true);
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...runs.map((r) => r.statements))).toBeLessThan(20);
    const first = await env.DB.prepare(`SELECT MIN(at) AS at FROM score_history WHERE customer_id = ?`).bind(row!.id).first<{ at: number }>();
    expect(first!.at).toBeLessThan(now - 364 * DAY);
  });
});
