import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ledgerEntry } from "../../src/core/rewards/ledger";
import { planStmts } from "../../src/loyalty";

const DAY = 86_400_000;
const enrolledAt = async (id: string) => (await env.DB.prepare(`SELECT enrolled_at AS at FROM loyalty_members WHERE customer_id = ?`).bind(id).first<{ at: number }>())!.at;

describe("loyalty enrollment in event time", () => {
  it("enrolls a customer as of its earliest earning, and a late fact from before moves the date back", async () => {
    const now = Date.UTC(2026, 11, 6);
    const earn = (ref: string, at: number) => ledgerEntry({ id: `points:cu_evt:renewal:${ref}`, customerId: "cu_evt", entry: "points.earned", kind: "renewal", points: 300, ref, at });
    // A replayed quarter: the renewal happened 60 days before the step that applied it.
    await env.DB.batch(planStmts(env.DB, { referrals: [], ledger: [earn("in_2", now - 60 * DAY)], actions: [] }, "v1", now));
    expect(await enrolledAt("cu_evt")).toBe(now - 60 * DAY);
    // A later step applies a fact from even earlier (a backfill); a newer earning leaves the date alone.
    await env.DB.batch(planStmts(env.DB, { referrals: [], ledger: [earn("in_1", now - 90 * DAY), earn("in_3", now - DAY)], actions: [] }, "v1", now + DAY));
    expect(await enrolledAt("cu_evt")).toBe(now - 90 * DAY);
    await env.DB.batch(planStmts(env.DB, { referrals: [], ledger: [earn("in_4", now)], actions: [] }, "v1", now + 2 * DAY));
    expect(await enrolledAt("cu_evt")).toBe(now - 90 * DAY);
  });
});
