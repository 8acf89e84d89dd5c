import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { processEvents } from "../../src/pipeline";
import { receiveNormalized } from "../support/inbox";
import { countingD1 } from "../support/jobs";

const DAY = 86_400_000;
const NOW = Date.now();

const subject = (key: string) => ({ stripeCustomerId: `cus_${key}`, email: `ops@${key}.example`, domain: `${key}.example` });
const paid = (key: string, n: number, at: number): NormalizedEvent => ({
  id: `stripe:evt_tw_${key}_${n}`,
  source: "stripe",
  type: "invoice.paid",
  occurredAt: at,
  subject: subject(key),
  invoiceId: `in_tw_${key}_${n}`,
  reason: n === 0 ? "first" : "renewal",
  amountPaid: 4900,
  currency: "usd",
});
const failed = (key: string, n: number, at: number): NormalizedEvent => ({
  id: `stripe:evt_tw_${key}_failed_${n}`,
  source: "stripe",
  type: "payment.failed",
  occurredAt: at,
  subject: subject(key),
  invoiceId: `in_tw_${key}_due_${n}`,
  attemptCount: n,
  nextAttemptAt: at + 3 * DAY,
  amountDue: 4900,
  currency: "usd",
});
/** A profile update: no health driver reads it, so the score stays where it was. */
const profile = (key: string, n: number, at: number): NormalizedEvent =>
  ({ id: `stripe:evt_tw_${key}_profile_${n}`, source: "stripe", type: "customer.profile", occurredAt: at, subject: { ...subject(key), name: `Acme ${n}` } }) as NormalizedEvent;

async function step(events: NormalizedEvent[], now: number) {
  await receiveNormalized(events, now);
  const { db, counts } = countingD1(env.DB);
  const result = await processEvents({ db, cfg: defaultConfig, now }, events.map((e) => e.id));
  expect(result.retry).toEqual([]);
  return counts.sql.filter((s) => /score_history|stage_transitions/.test(s) && !/^\s*SELECT/i.test(s));
}

const customerOf = async (key: string) => (await env.DB.prepare(`SELECT id, score FROM customers WHERE domain = ?`).bind(`${key}.example`).first<{ id: string; score: number }>())!;
const pointsOf = async (id: string) => (await env.DB.prepare(`SELECT at, score, band, stage FROM score_history WHERE customer_id = ? ORDER BY at`).bind(id).all()).results;
const stagesOf = async (id: string) => (await env.DB.prepare(`SELECT at, from_stage, to_stage FROM stage_transitions WHERE customer_id = ? ORDER BY at`).bind(id).all()).results;

describe("timeline writes of a live step", () => {
  it("writes no timeline row for an event that leaves the day's score, band and stage as they were", async () => {
    await step([paid("flat", 0, NOW - 40 * DAY), paid("flat", 1, NOW - 10 * DAY)], NOW - 2 * 3_600_000);
    const before = await customerOf("flat");
    const points = await pointsOf(before.id);
    // Live, the same day: nothing the timeline holds changes, so nothing is written or deleted.
    expect(await step([profile("flat", 1, NOW - 3_600_000)], NOW - 3_600_000)).toEqual([]);
    expect(await step([profile("flat", 2, NOW - 60_000)], NOW - 60_000)).toEqual([]);
    expect((await customerOf("flat")).score).toBe(before.score);
    expect(await pointsOf(before.id)).toEqual(points);
  });

  it("stores, replaces and removes today's point as the day's score moves, like a batch of the same facts", async () => {
    const facts = [paid("moves", 0, NOW - 40 * DAY), paid("moves", 1, NOW - 10 * DAY)];
    await step(facts, NOW - 2 * 3_600_000);
    const live = (await customerOf("moves")).id;
    // A failed payment moves today's score: today's point is written.
    const fail = failed("moves", 1, NOW - 3_600_000);
    expect((await step([fail], NOW - 3_600_000)).some((s) => /INSERT INTO score_history/.test(s))).toBe(true);
    // Paid again the same day: the point goes back to yesterday's value, so today's row goes.
    const recovered = paid("moves", 2, NOW - 60_000);
    await step([recovered], NOW - 60_000);

    // The same facts in one batch, for another customer, give the same rows.
    const batch = [paid("batch", 0, NOW - 40 * DAY), paid("batch", 1, NOW - 10 * DAY), failed("batch", 1, NOW - 3_600_000), paid("batch", 2, NOW - 60_000)];
    await step(batch, NOW - 60_000);
    const once = (await customerOf("batch")).id;
    const shape = (rows: Record<string, unknown>[]) => rows.map(({ at, score, band, stage }) => ({ at, score, band, stage }));
    expect(shape(await pointsOf(live))).toEqual(shape(await pointsOf(once)));
    expect(await stagesOf(live)).toEqual(await stagesOf(once));
    expect((await customerOf("moves")).score).toBe((await customerOf("batch")).score);
  });

  it("writes nothing again for a day already stored as it stands, once the day's score has moved", async () => {
    await step([paid("again", 0, NOW - 40 * DAY), paid("again", 1, NOW - 10 * DAY)], NOW - 3 * 3_600_000);
    const id = (await customerOf("again")).id;
    // The failed payment moves today away from yesterday: today's point is written...
    expect((await step([failed("again", 1, NOW - 2 * 3_600_000)], NOW - 2 * 3_600_000)).some((s) => /INSERT INTO score_history/.test(s))).toBe(true);
    const points = await pointsOf(id);
    // ...and the day's later events, which leave it as it is, write it no more (every live event of the day did before).
    expect(await step([profile("again", 1, NOW - 3_600_000)], NOW - 3_600_000)).toEqual([]);
    expect(await step([profile("again", 2, NOW - 60_000)], NOW - 60_000)).toEqual([]);
    expect(await pointsOf(id)).toEqual(points);
  });
});
