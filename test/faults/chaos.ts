import { AsyncLocalStorage } from "node:async_hooks";
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { vi } from "vitest";
import type { Destination } from "../../src/core/actions";
import type { Env } from "../../src/env";
import { admit, initialBreaker, record, type BreakerState } from "../../src/outbox/breaker";
import worker from "../../src/index";
import type { ProcessResult } from "../../src/pipeline";
import { shardLine, type ShardRequest } from "../../src/shard/group-commit";
import type { CustomerCopies } from "../../src/shard/customer-copy";
import { memoryCopies } from "../support/customer-copies";
import { memoryHeldRows } from "../support/held-rows";
import type { HeldRows } from "../../src/shard/held";
import { applyWithHeld, flushHeld, holdOrApply } from "../../src/shard/hold";
import { timelinePage, type TimelinePage } from "../../src/jobs/timeline";
import type { TenureConfig } from "../../src/core/config";

/**
 * Crash injection for the exactly-once suite. A handler invocation runs against bindings that may
 * "crash" before or after any I/O (D1 statement or batch, queue send, vendor fetch, gate call). A
 * crash is the isolate dying: from then on every I/O of that invocation fails, so nothing the code
 * does after catching the error reaches storage, queues or vendors, and the runtime redelivers.
 */
export class Crash extends Error {
  constructor(readonly point: string) {
    super(`injected crash at ${point}`);
    this.name = "Crash";
  }
}

export class Invocation {
  dead = false;
  constructor(readonly label: string) {}
}

export class Chaos {
  /** point -> [calls, crashes] */
  readonly points = new Map<string, [number, number]>();
  constructor(
    private readonly random: () => number,
    private readonly probability: number,
  ) {}

  at(point: string, inv: Invocation): void {
    const key = `${inv.label} ${point}`;
    const seen = this.points.get(key) ?? [0, 0];
    this.points.set(key, seen);
    if (inv.dead) throw new Crash(`${key} (after an earlier crash)`);
    seen[0] += 1;
    // Besides the random crashes, each point crashes once on a call of its own (2nd to 41st, by its name):
    // no point goes untested, and the forced crashes are spread out rather than hitting one batch in a row.
    if (seen[0] === 2 + (hash(key) % 40) || this.random() < this.probability) {
      seen[1] += 1;
      inv.dead = true;
      throw new Crash(key);
    }
  }

  crashes(): Record<string, number> {
    return Object.fromEntries([...this.points].filter(([, [, c]]) => c > 0).map(([k, [, c]]) => [k, c]));
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function sqlVerb(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? "SQL";
}

/** D1 whose every call may crash before it runs or after it committed. */
function crashingD1(db: D1Database, chaos: Chaos, inv: Invocation): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const io = async <T>(point: string, run: () => Promise<T>): Promise<T> => {
    chaos.at(`${point}:before`, inv);
    const out = await run();
    chaos.at(`${point}:after`, inv);
    return out;
  };
  const wrap = (stmt: D1PreparedStatement, verb: string): D1PreparedStatement => {
    const w = {
      bind: (...values: unknown[]) => wrap(stmt.bind(...values), verb),
      run: () => io(`d1.${verb}`, () => stmt.run()),
      all: () => io(`d1.${verb}`, () => stmt.all()),
      first: (col?: string) => io(`d1.${verb}`, () => (col === undefined ? stmt.first() : stmt.first(col))),
      raw: (opts?: { columnNames?: boolean }) => io(`d1.${verb}`, () => stmt.raw(opts as never)),
    } as unknown as D1PreparedStatement;
    real.set(w, stmt);
    return w;
  };
  return {
    prepare: (sql: string) => wrap(db.prepare(sql), sqlVerb(sql)),
    batch: (stmts: D1PreparedStatement[]) => io("d1.batch", () => db.batch(stmts.map((s) => real.get(s) ?? s))),
    exec: (sql: string) => io("d1.exec", () => db.exec(sql)),
  } as unknown as D1Database;
}

export interface QueuedMessage {
  id: string;
  queue: string;
  body: unknown;
  attempts: number;
  visibleAt: number;
  sentAt: number;
}

/**
 * At-least-once queues as Cloudflare runs them: delayed sends, explicit ack/retry, a thrown handler
 * retries the batch, max_retries then the dead-letter queue. A crashed invocation's acks are not
 * trusted: its whole batch comes back.
 */
export class Broker {
  readonly waiting: QueuedMessage[] = [];
  readonly deadLettered: QueuedMessage[] = [];
  private seq = 0;
  constructor(
    readonly limits: Record<string, { maxRetries: number; dlq?: string; maxBatch: number }>,
    private readonly now: () => number,
  ) {}

  push(queue: string, body: unknown, delaySeconds = 0, attempts = 1): void {
    this.waiting.push({ id: `m${++this.seq}`, queue, body, attempts, visibleAt: this.now() + delaySeconds * 1000, sentAt: this.now() });
  }

  /** Takes up to a batch of visible messages of one queue (the queue with the oldest visible message). */
  take(): QueuedMessage[] {
    const now = this.now();
    const first = this.waiting.find((m) => m.visibleAt <= now);
    if (!first) return [];
    const out: QueuedMessage[] = [];
    for (let i = 0; i < this.waiting.length && out.length < this.limits[first.queue]!.maxBatch; ) {
      const m = this.waiting[i]!;
      if (m.queue === first.queue && m.visibleAt <= now) out.push(...this.waiting.splice(i, 1));
      else i++;
    }
    return out;
  }

  nextVisibleAt(): number | null {
    return this.waiting.length ? Math.min(...this.waiting.map((m) => m.visibleAt)) : null;
  }

  retry(m: QueuedMessage, delaySeconds = 0): void {
    const limit = this.limits[m.queue]!;
    if (m.attempts > limit.maxRetries) {
      if (limit.dlq) this.push(limit.dlq, m.body);
      else this.deadLettered.push(m);
      return;
    }
    this.waiting.push({ ...m, attempts: m.attempts + 1, visibleAt: this.now() + delaySeconds * 1000 });
  }

  queue(name: string, chaos: Chaos, inv: Invocation): Queue<unknown> {
    const send = async (bodies: { body: unknown; delaySeconds?: number }[], point: string) => {
      // Asynchronous, as a real send is: the caller has moved on a step when it runs.
      await null;
      chaos.at(`${point}:before`, inv);
      for (const b of bodies) this.push(name, b.body, b.delaySeconds ?? 0);
      chaos.at(`${point}:after`, inv);
    };
    return {
      send: (body: unknown, opts?: { delaySeconds?: number }) => send([{ body, delaySeconds: opts?.delaySeconds }], `${name}.send`),
      sendBatch: (msgs: Iterable<{ body: unknown; delaySeconds?: number }>, opts?: { delaySeconds?: number }) =>
        send([...msgs].map((m) => ({ body: m.body, delaySeconds: m.delaySeconds ?? opts?.delaySeconds })), `${name}.sendBatch`),
    } as unknown as Queue<unknown>;
  }
}

/** The deployment-wide delivery gate (rate window + breaker) on the test clock, reachable only by a live invocation. */
export function gateNamespace(chaos: Chaos, inv: Invocation, states: Map<string, BreakerState>): DurableObjectNamespace {
  return {
    idFromName: (name: string) => name,
    get: (name: string) => ({
      acquire: async (policy: Parameters<typeof admit>[1], calls: number) => {
        chaos.at("gate", inv);
        const r = admit(states.get(name) ?? initialBreaker(), policy, Date.now(), calls);
        states.set(name, r.state);
        return r.waitMs;
      },
      report: async (policy: Parameters<typeof record>[1], outcomes: Parameters<typeof record>[3]) => {
        chaos.at("gate", inv);
        states.set(name, record(states.get(name) ?? initialBreaker(), policy, Date.now(), outcomes));
      },
    }),
  } as unknown as DurableObjectNamespace;
}

/**
 * The account shards as Durable Objects behave: one request at a time per shard, each request its own invocation
 * (its crash fails the caller's RPC, the caller's crash does not stop it) with D1 under the same chaos.
 */
export function shardNamespace(world: World): DurableObjectNamespace {
  const tails = (world.shardTails ??= new Map<string, Promise<unknown>>());
  const storage = (world.shardCopies ??= new Map<string, CustomerCopies>());
  const heldStores = (world.shardHeld ??= new Map<string, HeldRows>());
  const heldOf = (name: string) => heldStores.get(name) ?? heldStores.set(name, memoryHeldRows()).get(name)!;
  const lines = (world.shardLines ??= new Map<string, ShardLine>());
  /** One request of shard `name`: its own invocation under the crash injection, storage kept. */
  const invoke = async <T>(name: string, work: (inv: Invocation, copies: CustomerCopies) => Promise<T>): Promise<T> => {
    const inv = new Invocation("shard");
    world.chaos.at("rpc:before", inv);
    if (!storage.has(name)) storage.set(name, memoryCopies());
    // The request crosses to another isolate: nothing is shared with the caller.
    const result = structuredClone(await current.run(inv, () => work(inv, storage.get(name)!)));
    world.chaos.at("rpc:after", inv);
    return result;
  };
  // The object's alarm: one page of due held rows, in turn with the shard's requests, under the same crashes.
  world.shardAlarms = async () => {
    const now = Date.now();
    const due = [...heldStores].filter(([, held]) => (held.nextDue() ?? Infinity) <= now);
    await Promise.all(
      due.map(([name, held]) =>
        inTurn(name, () =>
          invoke(name, async (inv, copies) => {
            const out = await flushHeld(held, { db: crashingD1(world.env.DB, world.chaos, inv), copies, events: world.broker.queue("tenure-events", world.chaos, inv) as never, actions: world.broker.queue("tenure-actions", world.chaos, inv) as never }, now);
            world.shardFlushed = { applied: (world.shardFlushed?.applied ?? 0) + out.applied, returned: (world.shardFlushed?.returned ?? 0) + out.returned };
          }),
        ).catch(() => undefined),
      ),
    );
  };
  /** In turn with the shard's other requests. */
  const inTurn = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const r = (tails.get(name) ?? Promise.resolve()).then(run);
    tails.set(name, r.catch(() => undefined));
    return r;
  };
  /** As the object does (src/shard/account-shard.ts): the requests waiting when a turn starts are applied together. */
  const lineOf = (name: string) => {
    if (!lines.has(name)) {
      lines.set(
        name,
        shardLine(
          (work) => inTurn(name, work),
          (merged, requests) => {
            world.shardTurns = { turns: (world.shardTurns?.turns ?? 0) + 1, requests: (world.shardTurns?.requests ?? 0) + requests };
            return invoke(name, (inv, copies) => applyWithHeld(heldOf(name), { ...merged.deps, db: crashingD1(world.env.DB, world.chaos, inv) }, merged.groups, copies));
          },
        ),
      );
    }
    return lines.get(name)!;
  };
  return {
    idFromName: (name: string) => name,
    get: (name: string) => ({
      // The request crosses to another isolate: nothing is shared with the caller.
      // As the object does: what can wait is held (written before the answer, under the crashes), the rest waits for a turn.
      apply: (sent: ShardRequest) =>
        holdOrApply(structuredClone(sent), (hold, dueAt, settings) => invoke(name, async () => heldOf(name).hold(hold, dueAt, settings)), lineOf(name)),
      timeline: (job: TimelinePage, cfg: TenureConfig, now: number) =>
        inTurn(name, () =>
          invoke(name, (inv, copies) => {
            copies.dropTimeline(job.customerId);
            return timelinePage(crashingD1(world.env.DB, world.chaos, inv), structuredClone(cfg), now, structuredClone(job));
          }),
        ),
      forget: () => inTurn(name, () => invoke(name, async () => void storage.set(name, memoryCopies()))),
    }),
  } as unknown as DurableObjectNamespace;
}

type ShardLine = (req: ShardRequest) => Promise<ProcessResult>;

export interface World {
  env: Env;
  /** Errors a handler threw that were not injected crashes: each one is a bug. */
  unexpected: string[];
  chaos: Chaos;
  broker: Broker;
  gates: Map<Destination | string, BreakerState>;
  /** Each shard's queue of requests (shardNamespace). */
  shardTails?: Map<string, Promise<unknown>>;
  /** Turns the shards ran and the requests they applied: more requests than turns is requests applied together. */
  shardTurns?: { turns: number; requests: number };
  /** Each shard's requests waiting for its next turn (shardNamespace). */
  shardLines?: Map<string, ShardLine>;
  /** Each shard's durable copies of its customer rows: they outlive a crashed request, as the object's storage does. */
  shardCopies?: Map<string, CustomerCopies>;
  /** Each shard's held usage deliveries (src/shard/hold.ts), durable as the copies are. */
  shardHeld?: Map<string, HeldRows>;
  /** Fires the alarm of every shard holding rows now due (set by shardNamespace). */
  shardAlarms?: () => Promise<void>;
  /** Rows the alarms applied and gave back to the queue. */
  shardFlushed?: { applied: number; returned: number };
}

export function envFor(world: World, inv: Invocation): Env {
  return {
    ...world.env,
    DB: crashingD1(world.env.DB, world.chaos, inv),
    EVENTS: world.broker.queue("tenure-events", world.chaos, inv),
    ACTIONS: world.broker.queue("tenure-actions", world.chaos, inv),
    GATE: gateNamespace(world.chaos, inv, world.gates),
    SHARDS: shardNamespace(world),
  } as unknown as Env;
}

/** The invocation whose outbound fetches are being made (consumers run several at once, as Queues runs them). */
const current = new AsyncLocalStorage<Invocation>();

/** Routes the Worker's outbound fetch through the chaos: before the request leaves, and after the vendor answered. */
export function installCrashingFetch(chaos: Chaos): () => void {
  const inner = globalThis.fetch;
  const set = (f: typeof fetch) => Object.defineProperty(globalThis, "fetch", { value: f, writable: true, configurable: true });
  set(async (input: RequestInfo | URL, init?: RequestInit) => {
    const inv = current.getStore();
    if (!inv) return inner(input, init);
    const host = new URL(input instanceof Request ? input.url : String(input)).host;
    chaos.at(`fetch ${host}:before`, inv);
    const res = await inner(input, init);
    chaos.at(`fetch ${host}:after`, inv);
    return res;
  });
  return () => set(inner);
}

/** One queue-handler invocation over a batch; settles the batch as the Queues runtime would. */
export async function consume(world: World, msgs: QueuedMessage[]): Promise<void> {
  const queue = msgs[0]!.queue;
  const inv = new Invocation(queue.replace("tenure-", ""));
  const batch = createMessageBatch(
    queue,
    msgs.map((m) => ({ id: m.id, timestamp: new Date(m.sentAt), attempts: m.attempts, body: m.body })),
  );
  const ctx = createExecutionContext();
  let threw = false;
  try {
    await current.run(inv, () => worker.queue!(batch as MessageBatch<never>, envFor(world, inv) as never));
  } catch (err) {
    threw = true;
    if (!(err instanceof Crash) && !inv.dead) world.unexpected.push(`${queue}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  const result = await getQueueResult(batch, ctx);
  if (inv.dead || threw || result.retryBatch.retry) {
    for (const m of msgs) world.broker.retry(m, result.retryBatch.delaySeconds ?? 0);
    return;
  }
  const retried = new Map(result.retryMessages.map((r) => [r.msgId, r.delaySeconds ?? 0]));
  for (const m of msgs) if (retried.has(m.id)) world.broker.retry(m, retried.get(m.id));
}

/** A cron run under the chaos; true when it ran to the end. */
export async function cron(world: World, pattern: string): Promise<boolean> {
  const inv = new Invocation(pattern.startsWith("*/") ? "sweep" : "daily");
  const ctx = createExecutionContext();
  try {
    await current.run(inv, async () => {
      await worker.scheduled!({ cron: pattern, scheduledTime: Date.now(), type: "scheduled", noRetry() {} } as ScheduledController, envFor(world, inv) as never, ctx);
      await waitOnExecutionContext(ctx);
    });
    return !inv.dead;
  } catch {
    return false;
  }
}

/**
 * An isolate serving webhooks: concurrent deliveries share its bindings. A crash is the isolate dying,
 * which fails every delivery in it; the next delivery gets a new isolate.
 */
export class IngestIsolate {
  private inv = new Invocation("ingest");
  private env: Env;
  constructor(private readonly world: World) {
    this.env = envFor(world, this.inv);
  }

  live(): { inv: Invocation; env: Env } {
    if (this.inv.dead) {
      this.inv = new Invocation("ingest");
      this.env = envFor(this.world, this.inv);
    }
    return { inv: this.inv, env: this.env };
  }
}

/** One webhook delivery attempt, in `isolate` (or one of its own); the vendor counts it delivered only on a 2xx. */
export async function ingest(world: World, request: Request, isolate = new IngestIsolate(world)): Promise<{ status: number; crashed: boolean }> {
  const { inv, env } = isolate.live();
  const ctx = createExecutionContext();
  let status = 0;
  try {
    const res = await worker.fetch!(request as never, env as never, ctx);
    status = res.status;
    await res.arrayBuffer();
  } catch {
    status = 0;
  }
  // Work kept alive by waitUntil still runs after the answer: a crash there is the sweeper's to recover.
  try {
    await waitOnExecutionContext(ctx);
  } catch {
    // crashed after answering
  }
  return { status, crashed: inv.dead };
}

/** Batches consumed at once, as Queues runs consumers (max_concurrency): the shards and commit guards keep them apart. */
export const CONSUMERS = 4;

/**
 * Runs consumers (several batches at once), sweeps every 2 minutes and the clock until nothing is left to do,
 * or while `busy()` says ingest is still going.
 */
export async function settle(world: World, busy: () => boolean): Promise<void> {
  const db = world.env.DB;
  let lastSweep = Date.now();
  for (let round = 0; round < 200_000; round++) {
    const batches: QueuedMessage[][] = [];
    for (let msgs = world.broker.take(); msgs.length > 0 && batches.push(msgs) < CONSUMERS; msgs = world.broker.take());
    if (batches.length > 0) {
      await Promise.all(batches.map((msgs) => consume(world, msgs)));
      continue;
    }
    const heldDue = Math.min(...[...(world.shardHeld?.values() ?? [])].map((h) => h.nextDue() ?? Infinity));
    if (heldDue <= Date.now() && world.shardAlarms) {
      await world.shardAlarms();
      continue;
    }
    if (Date.now() - lastSweep >= 120_000) {
      await cron(world, "*/2 * * * *");
      lastSweep = Date.now();
      continue;
    }
    if (busy()) {
      vi.setSystemTime(Date.now() + 1_000);
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const received = (await db.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'received'`).first<number>("n"))!;
    const pending = (await db.prepare(`SELECT COUNT(*) AS n, MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'`).first<{ n: number; due: number | null }>())!;
    if (received === 0 && pending.n === 0 && world.broker.waiting.length === 0 && heldDue === Infinity) return;
    const next = Math.min(world.broker.nextVisibleAt() ?? Infinity, lastSweep + 120_000, Math.max(pending.due ?? Infinity, Date.now() + 1_000), heldDue);
    vi.setSystemTime(Math.max(Date.now() + 1, next));
  }
  throw new Error("the system never settled");
}
