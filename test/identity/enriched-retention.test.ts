import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { emptyState } from "../../src/core/state";
import { ENRICHED_KINDS, PRIMARY_KINDS } from "../../src/store/identity";
import { cutoffOf, ENRICHED_IDENTITY_RETENTION_DAYS, PRUNE_STEPS, pruneChunk, type RetentionPolicy } from "../../src/store/retention";
import { jobHarness, runPages } from "../support/jobs";

const DAY = 86_400_000;
const POLICY = { dedupeWindowDays: {}, unmatchedDays: 30, rawPayloadDays: 30 } as unknown as RetentionPolicy;

async function seed(customerId: string, rows: [kind: string, value: string, ageDays: number][]) {
  const now = Date.now();
  await env.DB.prepare(`INSERT INTO customers (id, name, state, created_at, updated_at) VALUES (?, 'Bounded', ?, ?, ?)`).bind(customerId, JSON.stringify(emptyState()), now, now).run();
  const add = env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, ?)`);
  await env.DB.batch(rows.map(([kind, value, age]) => add.bind(kind, value, customerId, now - age * DAY)));
}

const held = async (customerId: string) =>
  (await env.DB.prepare(`SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY kind, value`).bind(customerId).all<{ kind: string; value: string }>()).results.map((r) => `${r.kind}:${r.value}`);

describe("identities of enriched kinds are bounded", () => {
  it("the daily retention job deletes enriched ids past their window, and never an explicit id, a domain or a newer one", async () => {
    const old = ENRICHED_IDENTITY_RETENTION_DAYS + 1;
    await seed("cu_bounded", [
      ["hubspot", "5001", 400],
      ["stripe", "cus_bounded", 400],
      ["account", "acct_bounded", 400],
      ["segment_group", "g_bounded", 400],
      ["domain", "bounded.example", 400],
      ["stripe_charge", "ch_bounded", 400],
      ["hubspot_deal", "9001", old],
      ["hubspot_ticket", "9002", old],
      ["zendesk_user", "9003", old],
      ["zendesk_org", "9004", old],
      ["hubspot_ticket", "9005", ENRICHED_IDENTITY_RETENTION_DAYS - 1],
    ]);
    const h = jobHarness();
    await runPages(h, [{ job: "prune-inbox", asOf: Date.now(), step: 0 }], { follow: (b) => (b as { job?: string }).job === "prune-inbox" });
    expect(await held("cu_bounded")).toEqual([
      "account:acct_bounded",
      "domain:bounded.example",
      "hubspot:5001",
      "hubspot_ticket:9005",
      "segment_group:g_bounded",
      "stripe:cus_bounded",
      "stripe_charge:ch_bounded",
    ]);
    expect(PRUNE_STEPS).toContainEqual({ kind: "enriched-identities" });
    expect(ENRICHED_KINDS.some((k) => (PRIMARY_KINDS as readonly string[]).includes(k))).toBe(false);
  });

  it("works in bounded chunks, oldest first, and says when more remain", async () => {
    const old = ENRICHED_IDENTITY_RETENTION_DAYS + 10;
    await seed("cu_chunks", [
      ["hubspot_deal", "8001", old + 3],
      ["hubspot_deal", "8002", old + 2],
      ["hubspot_ticket", "8003", old + 1],
      ["hubspot", "5002", old + 50],
    ]);
    const step = { kind: "enriched-identities" } as const;
    const cutoff = cutoffOf(step, POLICY, Date.now());
    expect(await pruneChunk(env.DB, step, cutoff, 2)).toEqual({ rows: 2, full: true });
    expect(await held("cu_chunks")).toEqual(["hubspot:5002", "hubspot_ticket:8003"]);
    expect(await pruneChunk(env.DB, step, cutoff, 2)).toEqual({ rows: 1, full: false });
    expect(await pruneChunk(env.DB, step, cutoff, 2)).toEqual({ rows: 0, full: false });
    expect(await held("cu_chunks")).toEqual(["hubspot:5002"]);
  });

  it("the chunk walks the (kind, created_at) index instead of scanning identities", async () => {
    const plan = await env.DB.prepare(
      `EXPLAIN QUERY PLAN SELECT rowid FROM identities WHERE kind IN (SELECT value FROM json_each(?1)) AND created_at < ?2 ORDER BY created_at LIMIT ?3`,
    )
      .bind(JSON.stringify(ENRICHED_KINDS), Date.now(), 10)
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join(" | ")).toContain("identities_kind_age");
  });
});
