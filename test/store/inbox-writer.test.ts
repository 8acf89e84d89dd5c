import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { NewInboxRow } from "../../src/store/inbox";
import { commitDeliveries, expectDelivery, type WriterDeps } from "../../src/store/inbox-writer";

const row = (id: string, over: Partial<NewInboxRow> = {}): NewInboxRow => ({
  id,
  source: "stripe",
  vendorType: "invoice.paid",
  status: "received",
  occurredAt: 1,
  receivedAt: 2,
  requestId: `req_${id}`,
  reason: null,
  events: [],
  payload: "{}",
  ...over,
});

function deps() {
  const enqueued: string[][] = [];
  const background: Promise<unknown>[] = [];
  const d: WriterDeps = {
    db: env.DB,
    enqueue: async (ids) => void enqueued.push(ids),
    waitUntil: (p) => void background.push(p),
  };
  return { d, enqueued, background };
}

async function stored(prefix: string): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE id LIKE ? ORDER BY id`).bind(`${prefix}%`).all<{ id: string }>();
  return results.map((r) => r.id);
}

describe("group commit of webhook deliveries", () => {
  it("shares D1 batches between concurrent requests and tells each which of its rows were new", async () => {
    const { d, enqueued, background } = deps();
    await commitDeliveries(d, [row("gc1:dup")]);
    // 30 requests at once; every third repeats the row committed above, and two requests repeat each other.
    const requests = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? [row("gc1:dup")] : i === 29 ? [row("gc1:7")] : [row(`gc1:${i}`)]));
    const answers = await Promise.all(requests.map((rows) => commitDeliveries(d, rows)));
    await Promise.all(background);

    const fresh = answers.flat();
    expect(new Set(fresh).size).toBe(fresh.length);
    expect(answers.filter((a, i) => i % 3 === 0).flat()).toEqual([]);
    expect(fresh.sort()).toEqual(Array.from({ length: 29 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `gc1:${i}`).sort());
    expect(await stored("gc1:")).toEqual(["gc1:dup", ...fresh].sort());
    // One send per flight, each new row once; fewer flights than requests shows the batches were shared.
    expect(enqueued.flat().sort()).toEqual(["gc1:dup", ...fresh].sort());
    expect(enqueued.length).toBeLessThan(requests.length);
  });

  it("a delivery D1 refuses fails alone, not the deliveries that shared its flight", async () => {
    const { d, background } = deps();
    const bad = row("gc2:bad", { status: "bogus" as NewInboxRow["status"] });
    const results = await Promise.allSettled([
      commitDeliveries(d, [row("gc2:a")]),
      commitDeliveries(d, [row("gc2:b")]),
      commitDeliveries(d, [bad]),
      commitDeliveries(d, [row("gc2:c"), row("gc2:d")]),
    ]);
    await Promise.allSettled(background);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(results.flatMap((r) => (r.status === "fulfilled" ? r.value : []))).toEqual(["gc2:a", "gc2:b", "gc2:c", "gc2:d"]);
    expect(await stored("gc2:")).toEqual(["gc2:a", "gc2:b", "gc2:c", "gc2:d"]);
  });

  it("an enqueue failure does not fail the commit (the sweeper re-drives those rows)", async () => {
    const background: Promise<unknown>[] = [];
    const d: WriterDeps = { db: env.DB, enqueue: () => Promise.reject(new Error("queue down")), waitUntil: (p) => void background.push(p) };
    await expect(commitDeliveries(d, [row("gc3:a")])).resolves.toEqual(["gc3:a"]);
    await expect(Promise.all(background)).rejects.toThrow("queue down");
    expect(await stored("gc3:")).toEqual(["gc3:a"]);

    const later: Promise<unknown>[] = [];
    const throwing: WriterDeps = {
      db: env.DB,
      enqueue: () => {
        throw new TypeError("no queue binding");
      },
      waitUntil: (p) => void later.push(p),
    };
    await expect(commitDeliveries(throwing, [row("gc3:b")])).resolves.toEqual(["gc3:b"]);
    await expect(Promise.all(later)).rejects.toThrow("no queue binding");
  });

  it("a flight waits for a request announced before it took off, so both share one commit and one send", async () => {
    // Without an announcement the second request misses the flight already in the air.
    const alone = deps();
    const first = commitDeliveries(alone.d, [row("gc4:a")]);
    const second = Promise.resolve().then(() => commitDeliveries(alone.d, [row("gc4:b")]));
    expect(await Promise.all([first, second])).toEqual([["gc4:a"], ["gc4:b"]]);
    await Promise.all(alone.background);
    expect(alone.enqueued).toEqual([["gc4:a"], ["gc4:b"]]);

    // Announced while it was still verifying, the second request rides along.
    const { d, enqueued, background } = deps();
    const late = expectDelivery(d.db);
    const early = commitDeliveries(d, [row("gc4:c")]);
    const joined = Promise.resolve().then(() => commitDeliveries(d, [row("gc4:d")], late));
    expect(await Promise.all([early, joined])).toEqual([["gc4:c"], ["gc4:d"]]);
    await Promise.all(background);
    expect(enqueued).toEqual([["gc4:c", "gc4:d"]]);
  });

  it("an announced request that never arrives holds a flight back only briefly, and one that gives up releases it", async () => {
    const { d, background } = deps();
    const lost = expectDelivery(d.db);
    await expect(commitDeliveries(d, [row("gc5:a")])).resolves.toEqual(["gc5:a"]);
    lost.release();
    lost.release(); // releasing twice is harmless

    const refused = expectDelivery(d.db);
    const waiting = commitDeliveries(d, [row("gc5:b")]);
    refused.release(); // e.g. its signature was bad
    await expect(waiting).resolves.toEqual(["gc5:b"]);
    // A request with nothing to store releases its announcement too.
    const empty = expectDelivery(d.db);
    await expect(commitDeliveries(d, [], empty)).resolves.toEqual([]);
    await expect(commitDeliveries(d, [row("gc5:c")])).resolves.toEqual(["gc5:c"]);
    await Promise.all(background);
    expect(await stored("gc5:")).toEqual(["gc5:a", "gc5:b", "gc5:c"]);
  });

  it("a flight that never comes back: its requests answer 503 (a retry is safe), later rows fly again, nobody spins", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      let batches = 0;
      // D1 that never answers its first batch.
      const hanging = new Proxy(env.DB, {
        get(target, key) {
          if (key === "batch") return (stmts: D1PreparedStatement[]) => (++batches === 1 ? new Promise(() => {}) : target.batch(stmts));
          const value = Reflect.get(target, key);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const background: Promise<unknown>[] = [];
      const d: WriterDeps = { db: hanging, enqueue: async () => {}, waitUntil: (p) => void background.push(p) };
      const late = expectDelivery(hanging);
      const answers = Promise.allSettled([
        commitDeliveries(d, [row("gc6:a")]),
        Promise.resolve().then(() => commitDeliveries(d, [row("gc6:b")], late)),
      ]);
      await new Promise((r) => setTimeout(r, 50));
      vi.setSystemTime(Date.now() + 11_000);
      const unconfirmed = { status: "rejected", reason: { status: 503, code: "commit_unconfirmed", retry: true } };
      expect(await answers).toMatchObject([unconfirmed, unconfirmed]);
      expect(batches).toBe(1);

      await expect(commitDeliveries(d, [row("gc6:c")])).resolves.toEqual(["gc6:c"]);
      expect(await stored("gc6:")).toEqual(["gc6:c"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
