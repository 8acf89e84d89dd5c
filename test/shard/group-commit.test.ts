import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import { emptyResult, resolveEvents, type Resolved } from "../../src/pipeline";
import { CUSTOMERS_PER_TURN, mergeRequests, splitResult, takeTurn, type ShardRequest } from "../../src/shard/group-commit";
import { shardName } from "../../src/shard/route";
import { receiveNormalized, storedRows, paidInvoice } from "../support/inbox";

const DAY = 86_400_000;

const invoice = paidInvoice;

const resolved = (id: string): Resolved => ({ row: storedRows([id])[0]!, customerId: null, keys: [], fresh: [] });
const request = (now: number, groups: [string, string[]][], cfg = defaultConfig): ShardRequest => ({
  deps: { cfg, now },
  groups: groups.map(([c, ids]) => [c, ids.map(resolved)]),
});

describe("a shard's turn (src/shard/group-commit.ts)", () => {
  it("takes the waiting requests in order while they share the batch's settings and stay within the customers of one turn", () => {
    const big = Array.from({ length: CUSTOMERS_PER_TURN - 1 }, (_, i): [string, string[]] => [`cu_${i}`, [`e_${i}`]]);
    const line = [request(1, big), request(2, [["cu_x", ["e_x"]]]), request(3, [["cu_y", ["e_y"]]])].map((req) => ({ req }));
    expect(takeTurn(line).map((t) => t.req.deps.now)).toEqual([1, 2]);
    expect(takeTurn(line).map((t) => t.req.deps.now)).toEqual([3]);
    // Other settings (a configuration change between two batches) wait for a turn of their own.
    const changed = { ...defaultConfig, alerts: { ...defaultConfig.alerts, dropPoints: defaultConfig.alerts.dropPoints + 1 } };
    const mixed = [request(1, [["a", ["1"]]]), request(5, [["b", ["2"]]]), request(6, [["c", ["3"]]], changed)].map((req) => ({ req }));
    expect(takeTurn(mixed)).toHaveLength(2);
    expect(mixed).toHaveLength(1);
    // The first request is always taken, however large.
    expect(takeTurn([{ req: request(1, [...big, ...big]) }])).toHaveLength(1);
  });

  it("merges each customer's rows across requests, a row two consumers both claimed once, with the latest clock", () => {
    const merged = mergeRequests([request(10, [["cu_a", ["r1", "r2"]], ["cu_b", ["r3"]]]), request(20, [["cu_a", ["r2", "r4"]]])]);
    expect(merged.deps.now).toBe(20);
    expect(merged.groups.map(([c, g]) => [c, g.map((r) => r.row.id)])).toEqual([
      ["cu_a", ["r1", "r2", "r4"]],
      ["cu_b", ["r3"]],
    ]);
  });

  it("answers each request for its own rows and its customers' timeline jobs, and gives the turn's other outcomes to the first", () => {
    const reqs = [request(1, [["cu_a", ["r1", "r2"]]]), request(1, [["cu_a", ["r2"]], ["cu_b", ["r3", "r9"]]])];
    const jobA = { customerId: "cu_a", from: "2026-01-01", to: "2026-01-02" };
    const jobB = { customerId: "cu_b", from: "2026-01-01", to: "2026-01-02" };
    const result = { ...emptyResult(), done: ["r1", "r2", "r3"], retry: [], actionIds: ["act_1"], timelineJobs: [jobA, jobB] };
    const [first, second] = splitResult(result, reqs);
    expect(first).toEqual({ ...emptyResult(), done: ["r1", "r2"], actionIds: ["act_1"], timelineJobs: [jobA] });
    // r9 was not reported: it is retried, never acknowledged unapplied.
    expect(second).toEqual({ ...emptyResult(), done: ["r2", "r3"], retry: ["r9"], timelineJobs: [jobB] });
  });

  it("applies requests that queue behind a turn together, each answered for its own rows", async () => {
    const now = Date.now();
    const reqs: ShardRequest[] = [];
    for (let r = 0; r < 6; r++) {
      const events = [0, 1].map((k) => invoice(`evt_gc_${r}_${k}`, `cus_gc_${r}_${k}`, now - 30 * DAY));
      await receiveNormalized(events, now);
      const { groups } = await resolveEvents({ db: env.DB, cfg: defaultConfig, now }, events.map((e) => e.id));
      reqs.push({ deps: { cfg: defaultConfig, now }, groups });
    }
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_990)));
    const answers = await Promise.all(reqs.map((req) => stub.apply(req)));
    answers.forEach((a, r) => {
      expect(a.retry).toEqual([]);
      expect(a.done.sort()).toEqual([`stripe:evt_gc_${r}_0`, `stripe:evt_gc_${r}_1`]);
    });
    const stats = await stub.stats();
    expect(stats.requests).toBe(6);
    expect(stats.customers).toBe(12);
    // The first request's turn awaits D1; the others arrive meanwhile and share the next turn.
    expect(stats.turns).toBeLessThan(6);
    const processed = await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_gc_%' AND status = 'processed'`).first<number>("n");
    expect(processed).toBe(12);
    console.log(`6 requests for 12 customers: ${stats.turns} turns`);
  });
});
