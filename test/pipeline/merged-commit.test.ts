import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { processEvents, type CarriedMessage } from "../../src/pipeline";
import { KEPT_DELIVERIES, receiveNormalized } from "../support/inbox";
import { countingD1 } from "../support/jobs";

/*
 * A consumer batch (or a shard's request) that holds several customers commits their steps in one D1 batch, and
 * what every step writes (the inbox rows under the customers' guards, the customer rows, the timeline points, the
 * contacts) is one statement for all of them (src/pipeline-commit.ts).
 */
const DAY = 86_400_000;
const NOW = Date.parse("2026-12-07T12:00:00Z");
const CUSTOMERS = 12;

const paid = (tag: string, i: number): NormalizedEvent => ({
  id: `stripe:evt_${tag}_paid_${i}`,
  source: "stripe",
  type: "invoice.paid",
  occurredAt: NOW - 40 * DAY,
  subject: { stripeCustomerId: `cus_${tag}_${i}`, email: `owner@${tag}${i}.example`, domain: `${tag}${i}.example` },
  invoiceId: `in_${tag}_${i}`,
  reason: "first",
  amountPaid: 9900,
  currency: "usd",
});

const used = (tag: string, i: number, k: number): NormalizedEvent => ({
  id: `stripe:evt_${tag}_used_${i}_${k}`,
  source: "segment",
  type: "usage.tracked",
  occurredAt: NOW - (k + 1) * 3_600_000,
  subject: { stripeCustomerId: `cus_${tag}_${i}`, userId: `user_${tag}_${i}_${k % 3}`, email: `u${k % 3}@${tag}${i}.example` },
  userId: `user_${tag}_${i}_${k % 3}`,
  event: k % 2 ? "Report Exported" : "Dashboard Viewed",
});

const deps = (db: D1Database = env.DB) => ({ db, cfg: defaultConfig, now: NOW });

/** Every row the steps wrote, with the tag's ids made neutral so two worlds compare. */
async function rowsOf(tag: string) {
  // Users are kept as hashes of their ids, which hold the tag: only how many there are is compared.
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll(tag, "T").replace(/\\"h\\":\[([0-9,]*)\]/g, (_, h: string) => `\\"h\\":${h.split(",").length}`));
  const q = async (sql: string) => strip((await env.DB.prepare(sql).bind(`%${tag}%`).all()).results);
  return {
    customers: await q(`SELECT c.name, c.domain, c.state, c.score, c.band, c.stage, c.stage_since, c.health, c.mrr, c.alerts, c.timeline_through, c.version FROM customers c WHERE c.domain LIKE ?1 ORDER BY c.domain`),
    points: await q(`SELECT c.domain, h.at, h.score, h.band, h.stage, h.components FROM score_history h JOIN customers c ON c.id = h.customer_id WHERE c.domain LIKE ?1 ORDER BY c.domain, h.at`),
    stages: await q(`SELECT c.domain, s.at, s.from_stage, s.to_stage FROM stage_transitions s JOIN customers c ON c.id = s.customer_id WHERE c.domain LIKE ?1 ORDER BY c.domain, s.at`),
    contacts: await q(`SELECT k.id, c.domain, k.email, k.role FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE c.domain LIKE ?1 ORDER BY k.id`),
    inbox: await q(`SELECT i.id, i.status, c.domain FROM ${KEPT_DELIVERIES} i LEFT JOIN customers c ON c.id = i.customer_id WHERE i.id LIKE ?1 ORDER BY i.id`),
  };
}

async function seed(tag: string) {
  const first = Array.from({ length: CUSTOMERS }, (_, i) => paid(tag, i));
  await receiveNormalized(first, NOW);
  await processEvents(deps(), first.map((e) => e.id));
  const usage = Array.from({ length: CUSTOMERS }, (_, i) => [0, 1, 2].map((k) => used(tag, i, k))).flat();
  await receiveNormalized(usage, NOW);
  return usage;
}

describe("one commit for several customers' steps", () => {
  it("writes the inbox rows, customer rows, timeline points and contacts of 12 customers with one statement each", async () => {
    const usage = await seed("mca");
    const { db, counts } = countingD1(env.DB);
    const result = await processEvents(deps(db), usage.map((e) => e.id));
    expect(result.retry).toEqual([]);
    expect(result.done).toHaveLength(usage.length);
    const count = (re: RegExp) => counts.sql.filter((s) => re.test(s)).length;
    expect(count(/^UPDATE inbox_events SET customer_id/)).toBe(1);
    expect(count(/^UPDATE customers SET name/)).toBe(1);
    expect(count(/^\s*INSERT INTO score_history/)).toBe(1);
    expect(count(/^\s*INSERT INTO contacts/)).toBe(1);
    expect(count(/^\s*INSERT INTO stage_transitions/)).toBeLessThanOrEqual(1);
    expect(count(/^\s*SELECT .* FROM json_each\(\?1\) w JOIN score_history/s)).toBe(1);
    // The reads and the commit: nothing per customer is left in either (18 here, whatever the number of customers).
    expect(counts.statements).toBeLessThanOrEqual(20);
    console.log(`${CUSTOMERS} customers' usage steps: ${counts.statements} statements in ${counts.calls} calls`);
  });

  it("leaves the same rows as committing each customer's step alone", async () => {
    const together = await seed("mcb");
    await processEvents(deps(), together.map((e) => e.id));
    const alone = await seed("mcc");
    for (let i = 0; i < CUSTOMERS; i++) await processEvents(deps(), alone.filter((e) => e.id.includes(`_used_${i}_`)).map((e) => e.id));
    const a = await rowsOf("mcb");
    const b = await rowsOf("mcc");
    expect(a.customers).toHaveLength(CUSTOMERS);
    expect(a.points.length).toBeGreaterThan(CUSTOMERS);
    expect(a.contacts.length).toBe(CUSTOMERS * 3);
    expect(a).toEqual(b);
  });

  it("retries only the customer whose guard refused, and commits the others", async () => {
    const usage = await seed("mcd");
    const loser = (await env.DB.prepare(`SELECT customer_id AS id FROM identities WHERE kind = 'stripe' AND value = 'cus_mcd_3'`).first<{ id: string }>())!.id;
    // A concurrent writer (a recompute, a merge) moves one customer on between its step's read and the commit.
    const moved = {
      ...env.DB,
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: async (stmts: D1PreparedStatement[]) => {
        if (stmts.length > 3 && !bumped) {
          bumped = true;
          await env.DB.prepare(`UPDATE customers SET version = version + 1 WHERE id = ?`).bind(loser).run();
        }
        return env.DB.batch(stmts);
      },
    } as unknown as D1Database;
    let bumped = false;
    const result = await processEvents(deps(moved), usage.map((e) => e.id));
    const lost = usage.filter((e) => e.id.includes("_used_3_")).map((e) => e.id);
    expect(bumped).toBe(true);
    expect(result.retry.sort()).toEqual(lost.sort());
    expect(result.done).toHaveLength(usage.length - lost.length);
    const statuses = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_mcd_used_%' GROUP BY status ORDER BY status`).all();
    expect(statuses.results).toEqual([
      { status: "processed", n: usage.length - lost.length },
      { status: "received", n: lost.length },
    ]);
    const again = await processEvents(deps(), lost);
    expect(again.done.sort()).toEqual(lost.sort());
  });

  it("records carried deliveries by id alone, however large their bodies: one statement, no inbox row", async () => {
    const [first] = await (async () => {
      const e = paid("mce", 0);
      await receiveNormalized([e], NOW);
      await processEvents(deps(), [e.id]);
      return [e];
    })();
    expect(first).toBeDefined();
    const filler = "x".repeat(100_000);
    const carried: CarriedMessage[] = Array.from({ length: 14 }, (_, k) => {
      const e = used("mce", 0, k);
      return {
        attempts: 1,
        d: { id: e.id, source: "segment", vendorType: "track", occurredAt: e.occurredAt, receivedAt: NOW, requestId: null, events: [e], payload: JSON.stringify({ filler }) },
      };
    });
    const { db, counts } = countingD1(env.DB);
    const result = await processEvents(deps(db), [], carried);
    expect(result.done).toHaveLength(14);
    // 1.4 MB of bodies, none of it bound (test/setup/d1-limits.ts would throw on a bound string over 1 MB).
    expect(counts.sql.filter((s) => /^\s*INSERT INTO applied_deliveries/.test(s))).toHaveLength(1);
    expect(counts.sql.filter((s) => /^\s*INSERT INTO inbox_events/.test(s))).toHaveLength(0);
    const ids = await env.DB.prepare(`SELECT COUNT(*) AS n FROM applied_deliveries WHERE id LIKE 'stripe:evt_mce_used_%' AND source = 'segment'`).first<{ n: number }>("n");
    expect(ids).toBe(14);
    const rows = await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_mce_used_%'`).first<{ n: number }>("n");
    expect(rows).toBe(0);
  });
});
