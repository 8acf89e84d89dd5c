import { env, SELF } from "cloudflare:test";
import { ADMIN } from "../support/drain";
import { describe, expect, it } from "vitest";
import { batchKeyOf, declaredConnectorFor } from "../../connectors/declared";
import { connectors } from "../../connectors/registry";
import type { Action } from "../../src/core/actions";
import { loadConfig } from "../../src/env";
import { admit, DEFAULT_POLICY, initialBreaker, parseRate, type BreakerState } from "../../src/outbox/breaker";
import { deliverDestination, type DeliverDeps } from "../../src/outbox/deliver";
import { destinationDeclarationSchema } from "../../src/plugins/destination-schema";
import { planDeclaredRequests, planOutboundEvents } from "../../src/plugins/outbound";
import { insertActionStmts } from "../../src/store/outbox";
import { SimClock } from "../outbox/sim-clock";

/**
 * A declared destination with `batch`: several actions in one request, through the real outbox (lease, gate,
 * write-back), at a fake receiver that counts requests, refuses oversized batches, rate-limits with 429 +
 * Retry-After, and replays its first answer for a reused Idempotency-Key.
 */

const TOKEN = "evt-hub-token-0123456789";
const BASE = "https://events.fake.example";
const MAX_ITEMS = 3;

const declaration = destinationDeclarationSchema.parse({
  kind: "destination",
  name: "events-hub",
  version: 1,
  events: ["score.changed", "band.changed"],
  secrets: { token: "INTERCOM_ACCESS_TOKEN" },
  baseUrl: { env: "INTERCOM_API_BASE", default: "https://events.example" },
  request: { method: "POST", path: "/v1/batch", headers: { Authorization: "Bearer {{secret.token}}" }, body: { count: "{{count}}", events: "{{items}}" } },
  batch: { maxItems: MAX_ITEMS, windowMs: 5_000, item: { id: "{{id}}", account: "{{customerId}}", type: "{{event}}", score: "{{data.score}}", band: "{{data.band}}" } },
  idempotencyHeader: "Idempotency-Key",
});

/** The receiver: one record per request it acted on; a reused key gets the first answer again and acts on nothing. */
class FakeEventsHub {
  requests: { key: string; items: { id: string; account: string }[] }[] = [];
  replays = 0;
  limitEvery = 0;
  private answered = new Map<string, { status: number; body: string }>();
  private seen = 0;

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    if (req.url !== `${BASE}/v1/batch` || req.method !== "POST") return new Response("not found", { status: 404 });
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) return new Response("unauthorized", { status: 401 });
    const key = req.headers.get("idempotency-key") ?? "";
    const first = this.answered.get(key);
    if (first) {
      this.replays++;
      return new Response(first.body, { status: first.status });
    }
    this.seen++;
    if (this.limitEvery && this.seen % this.limitEvery === 0) return new Response("slow down", { status: 429, headers: { "retry-after": "7" } });
    const body = (await req.json()) as { count: number; events: { id: string; account: string }[] };
    if (body.events.length > MAX_ITEMS || body.count !== body.events.length) return new Response("batch too large", { status: 413 });
    this.requests.push({ key, items: body.events });
    const answer = { status: 202, body: JSON.stringify({ accepted: body.events.length }) };
    this.answered.set(key, answer);
    return new Response(answer.body, { status: answer.status });
  };
}

function harness() {
  const clock = new SimClock(Date.UTC(2026, 11, 1, 9, 0, 0));
  const hub = new FakeEventsHub();
  const cfg = loadConfig({ ...env, INTERCOM_ACCESS_TOKEN: TOKEN, INTERCOM_API_BASE: BASE } as never);
  const policy = { ...DEFAULT_POLICY, ...parseRate("2/1s") };
  let breaker: BreakerState = initialBreaker();
  const gateAsks: number[] = [];
  const deps: DeliverDeps = {
    db: env.DB,
    cfg,
    connectors: { ...connectors, declared: declaredConnectorFor({ "events-hub": declaration }) },
    fetch: hub.fetch,
    now: clock.now,
    timers: clock.timers,
    gate: async (_d, calls, maxWaitMs) => {
      gateAsks.push(calls);
      const r = admit(breaker, policy, clock.now(), calls, maxWaitMs);
      breaker = r.state;
      return r.waitMs;
    },
  };
  return { clock, hub, deps, gateAsks };
}

let seq = 0;
function actions(n: number, windowMs?: number): Action[] {
  const run = ++seq;
  return Array.from({ length: n }, (_, i) => ({
    id: `declared:events-hub:run${run}:${i}`,
    customerId: `cu_${run}_${i}`,
    payload: { type: "declared.request" as const, plugin: "events-hub", event: "score.changed" as const, at: 1_000 + i, data: { score: 40 + i, band: "yellow" }, ...(windowMs ? { windowMs } : {}) },
  }));
}

async function statuses(ids: string[]) {
  const { results } = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM outbox WHERE id IN (SELECT value FROM json_each(?)) GROUP BY status`).bind(JSON.stringify(ids)).all();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

async function flush(deps: DeliverDeps): Promise<void> {
  for (let i = 0; i < 20 && (await deliverDestination(deps, "declared", [])) > 0; i++);
}

describe("batched declared destination", () => {
  it("sends 7 actions as 3 requests of at most 3 items, each through the gate, each with its own idempotency key", async () => {
    const { clock, hub, deps, gateAsks } = harness();
    const planned = actions(7);
    await env.DB.batch(insertActionStmts(env.DB, planned, clock.now()));
    await flush(deps);
    // The gate allows 2 requests a second: the third batch is held back (a pause, not a failure) and goes next second.
    expect(hub.requests.map((r) => r.items.length)).toEqual([3, 3]);
    expect(await statuses(planned.map((a) => a.id))).toEqual({ delivered: 6, pending: 1 });
    clock.advance(1_000);
    await flush(deps);

    expect(hub.requests.map((r) => r.items.length)).toEqual([3, 3, 1]);
    expect(new Set(hub.requests.map((r) => r.key)).size).toBe(3);
    expect(hub.requests.flatMap((r) => r.items.map((i) => i.id)).sort()).toEqual(planned.map((a) => a.id).sort());
    expect(gateAsks).toEqual([1, 1, 1, 1]);
    expect(await statuses(planned.map((a) => a.id))).toEqual({ delivered: 7 });
    const attempts = await env.DB.prepare(`SELECT MAX(attempts) AS n FROM outbox WHERE id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(planned.map((a) => a.id))).first("n");
    expect(attempts).toBe(0);

    // Delivered rows are never sent again.
    await flush(deps);
    expect(hub.requests).toHaveLength(3);
  });

  it("retries a rate-limited batch as a whole after Retry-After, under the same key", async () => {
    const { clock, hub, deps } = harness();
    hub.limitEvery = 1;
    const planned = actions(2);
    await env.DB.batch(insertActionStmts(env.DB, planned, clock.now()));
    await flush(deps);
    expect(await statuses(planned.map((a) => a.id))).toEqual({ pending: 2 });
    const next = await env.DB.prepare(`SELECT DISTINCT next_attempt_at AS t FROM outbox WHERE id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(planned.map((a) => a.id))).all<{ t: number }>();
    expect(next.results).toHaveLength(1);
    expect(next.results[0]!.t).toBeGreaterThanOrEqual(clock.now() + 7_000);

    hub.limitEvery = 0;
    clock.advance(60_000);
    await flush(deps);
    expect(await statuses(planned.map((a) => a.id))).toEqual({ delivered: 2 });
    expect(hub.requests).toHaveLength(1);
    expect(hub.requests[0]!.key).toBe(batchKeyOf("events-hub", planned.map((a) => ({ ...a, attempts: 0 })) as never));
  });

  it("holds actions for the window, then sends them together", async () => {
    const { clock, hub, deps } = harness();
    const first = actions(1, 5_000);
    await env.DB.batch(insertActionStmts(env.DB, first, clock.now()));
    await flush(deps);
    expect(hub.requests).toHaveLength(0);
    clock.advance(2_000);
    const second = actions(2, 5_000);
    await env.DB.batch(insertActionStmts(env.DB, second, clock.now()));
    clock.advance(3_000);
    await flush(deps);
    expect(hub.requests.map((r) => r.items.length)).toEqual([3]);
    expect(await statuses([...first, ...second].map((a) => a.id))).toEqual({ delivered: 3 });
  });

  it("a replayed request (an identical batch after a lost answer) is answered from the receiver's record, acting once", async () => {
    const { clock, hub, deps } = harness();
    const planned = actions(2);
    await env.DB.batch(insertActionStmts(env.DB, planned, clock.now()));
    await flush(deps);
    // As if the write-back had been lost: the same rows are pending again and form the same batch.
    await env.DB.prepare(`UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id IN (SELECT value FROM json_each(?))`).bind(clock.now(), JSON.stringify(planned.map((a) => a.id))).run();
    await flush(deps);
    expect(hub.replays).toBe(1);
    expect(hub.requests).toHaveLength(1);
    expect(await statuses(planned.map((a) => a.id))).toEqual({ delivered: 2 });
  });

  it("plans the window into each action from the declaration", () => {
    const after = { score: 41, band: "yellow" as const, stage: "Onboarding" as const };
    const announced = planOutboundEvents({ customerId: "cu_w", name: "W", before: null, after: after as never, planned: [], causeAt: 5 });
    const [a] = planDeclaredRequests(announced, [{ name: "events-hub", events: declaration.events, windowMs: 5_000 }], after as never);
    expect(a!.payload).toMatchObject({ type: "declared.request", plugin: "events-hub", windowMs: 5_000 });
  });

  it("refuses a batched declaration whose path or headers name an account, or whose body has no {{items}}", () => {
    const bad = (edit: (d: any) => void) => {
      const d = JSON.parse(JSON.stringify({ ...declaration, request: { ...declaration.request } }));
      edit(d);
      return destinationDeclarationSchema.safeParse(d).error?.issues[0]?.path.join(".");
    };
    expect(bad((d) => (d.request.path = "/v1/{{customerId}}"))).toBe("request.path");
    expect(bad((d) => (d.request.headers["X-Account"] = "{{customerId}}"))).toBe("request.headers.X-Account");
    expect(bad((d) => (d.request.body = { events: [] }))).toBe("request.body");
  });

  it("dry-runs a batched declaration as the request that would carry the sample event", async () => {
    const res = await SELF.fetch("https://tenure.example.com/api/plugins/validate", {
      method: "POST",
      headers: { ...ADMIN, "content-type": "application/json" },
      body: JSON.stringify({ definition: declaration, sample: { body: JSON.stringify({ event: "band.changed", customerId: "cu_9", data: { score: 38, band: "red" } }) } }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      request: {
        url: "https://events.example/v1/batch",
        headers: { Authorization: "Bearer <INTERCOM_ACCESS_TOKEN>", "Idempotency-Key": "batch:events-hub:dry-run" },
        body: { count: 1, events: [{ id: "declared:events-hub:dry-run", account: "cu_9", type: "band.changed", score: 38, band: "red" }] },
      },
    });
  });
});
