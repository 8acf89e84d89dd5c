import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import type { CustomerGroups, Resolved } from "../../src/pipeline";
import type { AccountShard } from "../../src/shard/account-shard";
import { SqlHeldRows, type HeldRows } from "../../src/shard/held";
import { shardName } from "../../src/shard/route";
import { memoryHeldRows } from "../support/held-rows";

const resolved = (id: string, customerId: string): Resolved => ({
  row: { id, source: "segment", vendorType: "track", status: "received", occurredAt: 0, attempts: 1, events: [], carried: { receivedAt: 0, requestId: null, payload: null } },
  customerId,
  keys: [],
  fresh: [],
});

type Op =
  | { op: "hold"; rows: [number, number][]; dueAt: number }
  | { op: "release"; ids: number[] }
  | { op: "postpone"; ids: number[]; dueAt: number }
  | { op: "due"; now: number; maxCustomers: number; maxRows: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("hold" as const), rows: fc.array(fc.tuple(fc.nat(30), fc.nat(5)), { maxLength: 8 }), dueAt: fc.nat(100) }),
    fc.record({ op: fc.constant("release" as const), ids: fc.array(fc.nat(30), { maxLength: 5 }) }),
    fc.record({ op: fc.constant("postpone" as const), ids: fc.array(fc.nat(30), { maxLength: 5 }), dueAt: fc.nat(100) }),
    fc.record({ op: fc.constant("due" as const), now: fc.nat(100), maxCustomers: fc.integer({ min: 1, max: 4 }), maxRows: fc.integer({ min: 1, max: 6 }) }),
  ),
  { maxLength: 30 },
);

/** What a store answers, as comparable data: row ids per customer. */
const ids = (groups: CustomerGroups) => groups.map(([c, g]) => [c, g.map((r) => r.row.id)]);

function run(store: HeldRows, list: Op[]): unknown[] {
  const out: unknown[] = [];
  for (const o of list) {
    if (o.op === "hold") {
      const groups = new Map<string, Resolved[]>();
      // One customer per row id, as resolution gives it (a row belongs to one customer).
      for (const [row] of o.rows) groups.set(`cu_${row % 6}`, [...(groups.get(`cu_${row % 6}`) ?? []).filter((r) => r.row.id !== `r${row}`), resolved(`r${row}`, `cu_${row % 6}`)]);
      store.hold([...groups], o.dueAt, { cfg: defaultConfig });
    } else if (o.op === "release") store.release(o.ids.map((i) => `r${i}`));
    else if (o.op === "postpone") store.postpone(o.ids.map((i) => `r${i}`), o.dueAt);
    else {
      const due = store.due(o.now, o.maxCustomers, o.maxRows);
      out.push([due.deps === null ? null : "settings", ids(due.groups)]);
    }
    out.push(store.count(), store.nextDue());
  }
  out.push(ids(store.forCustomers(["cu_0", "cu_1", "cu_2", "cu_3", "cu_4", "cu_5"])));
  return out;
}

describe("held rows (src/shard/held.ts)", () => {
  it("the object's SQLite store and the fault suite's in-memory one answer every sequence of calls alike", async () => {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_980)));
    await runInDurableObject(stub, async (_i: AccountShard, state) => {
      await fc.assert(
        fc.asyncProperty(ops, async (list) => {
          state.storage.sql.exec(`DELETE FROM held_rows`);
          state.storage.sql.exec(`DELETE FROM held_settings`);
          expect(run(new SqlHeldRows(state.storage.sql), list)).toEqual(run(memoryHeldRows(), list));
        }),
        { numRuns: 200 },
      );
    });
  });

  it("a customer holding more rows than a flush takes gives its oldest; others wait for the next flush", async () => {
    const stub = env.SHARDS!.get(env.SHARDS!.idFromName(shardName(9_981)));
    await runInDurableObject(stub, async (_i: AccountShard, state) => {
      const store = new SqlHeldRows(state.storage.sql);
      store.hold([["cu_big", Array.from({ length: 7 }, (_, k) => resolved(`big_${k}`, "cu_big"))]], 10, { cfg: defaultConfig });
      store.hold([["cu_small", [resolved("small_0", "cu_small")]]], 20, { cfg: defaultConfig });
      expect(ids(store.due(30, 100, 5).groups)).toEqual([["cu_big", ["big_0", "big_1", "big_2", "big_3", "big_4"]]]);
      store.release(["big_0", "big_1", "big_2", "big_3", "big_4"]);
      expect(ids(store.due(30, 100, 5).groups)).toEqual([
        ["cu_big", ["big_5", "big_6"]],
        ["cu_small", ["small_0"]],
      ]);
      // Not due yet: nothing.
      expect(store.due(5, 100, 5).groups).toEqual([]);
    });
  });
});
