import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { commitDeliveries, inboxRow } from "../../src/store/inbox";
import { countingD1 } from "../support/jobs";

const now = Date.now();
const row = (key: string, events = 1) =>
  inboxRow(
    "stripe",
    {
      dedupeKey: key,
      vendorType: "invoice.paid",
      occurredAt: now,
      events: Array.from({ length: events }, () => ({ type: "usage.tracked", id: key, occurredAt: now, subject: {}, feature: "x" }) as never),
      raw: "{}",
    },
    now,
    "req",
  );

describe("commitDeliveries", () => {
  it("stores a new delivery with one statement and hands it to the queue", async () => {
    const { db, counts } = countingD1(env.DB);
    const r = row("evt_cd_new");
    expect(await commitDeliveries(db, [r])).toEqual({ inserted: [r.id], unclaimed: [r.id] });
    expect(counts.statements).toBe(1);
  });

  it("hands a duplicate over again only while no consumer has claimed it, and never an ignored row", async () => {
    const unclaimed = row("evt_cd_dup_open");
    const claimed = row("evt_cd_dup_claimed");
    const ignored = row("evt_cd_ignored", 0);
    await commitDeliveries(env.DB, [unclaimed, claimed, ignored]);
    await env.DB.prepare(`UPDATE inbox_events SET attempts = 1 WHERE id = ?`).bind(claimed.id).run();
    const fresh = row("evt_cd_fresh");

    const { db, counts } = countingD1(env.DB);
    expect(await commitDeliveries(db, [unclaimed, claimed, ignored, fresh])).toEqual({ inserted: [fresh.id], unclaimed: [unclaimed.id, fresh.id] });
    expect(counts.statements).toBe(5);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_cd_%'`).first<{ n: number }>())!;
    expect(n).toBe(5);
  });
});
