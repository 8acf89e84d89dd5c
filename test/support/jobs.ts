import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import type { Env } from "../../src/env";
import worker from "../../src/index";

/**
 * The local D1 accepts any number of queries per invocation; production stops at 1,000. This D1 counts what
 * an invocation asks of it, so a test can hold each job page to a budget: `calls` are round trips (a batch is
 * one), `statements` count every statement of a batch, and `sql` holds each statement's text in order.
 */
export function countingD1(db: D1Database): { db: D1Database; counts: { calls: number; statements: number; sql: string[] } } {
  const counts = { calls: 0, statements: 0, sql: [] as string[] };
  const real = new WeakMap<object, D1PreparedStatement>();
  const texts = new WeakMap<object, string>();
  const once = <T>(sql: string, run: () => Promise<T>) => {
    counts.calls++;
    counts.statements++;
    counts.sql.push(sql);
    return run();
  };
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const w = {
      bind: (...values: unknown[]) => wrap(stmt.bind(...values), sql),
      run: () => once(sql, () => stmt.run()),
      all: () => once(sql, () => stmt.all()),
      first: (col?: string) => once(sql, () => (col === undefined ? stmt.first() : stmt.first(col))),
      raw: (opts?: { columnNames?: boolean }) => once(sql, () => stmt.raw(opts as never)),
    } as unknown as D1PreparedStatement;
    real.set(w, stmt);
    texts.set(w, sql);
    return w;
  };
  const counted = {
    prepare: (sql: string) => wrap(db.prepare(sql), sql),
    batch: (stmts: D1PreparedStatement[]) => {
      counts.calls++;
      counts.statements += stmts.length;
      counts.sql.push(...stmts.map((s) => texts.get(s) ?? "?"));
      return db.batch(stmts.map((s) => real.get(s) ?? s));
    },
    exec: (sql: string) => once(sql, () => db.exec(sql)),
  } as unknown as D1Database;
  return { db: counted, counts };
}

/** A queue that keeps what was sent instead of delivering it. */
export function capturingQueue(): Queue<unknown> & { sent: unknown[] } {
  const sent: unknown[] = [];
  const metadata = { metrics: { backlogCount: 0, backlogBytes: 0 } };
  return {
    sent,
    metrics: async () => metadata.metrics,
    send: async (body: unknown) => (sent.push(body), { metadata }),
    sendBatch: async (msgs: Iterable<MessageSendRequest<unknown>>) => {
      for (const m of msgs) sent.push(m.body);
      return { metadata };
    },
  } as Queue<unknown> & { sent: unknown[] };
}

export interface PageRun {
  queue: string;
  body: unknown;
  attempts: number;
  /** D1 round trips and statements of this invocation. */
  calls: number;
  statements: number;
  acked: boolean;
  retried: boolean;
  error?: unknown;
}

export interface JobHarness {
  env: Env;
  counts: { calls: number; statements: number };
  events: ReturnType<typeof capturingQueue>;
  /** Event ids the pages enqueued (recovered Stripe events, re-driven rows). */
  eventIds: string[];
  runs: PageRun[];
}

/** The real bindings, except an events queue that captures and a D1 that counts (`db` wraps env.DB unless given). */
export function jobHarness(over: { db?: D1Database; vars?: Record<string, string> } = {}): JobHarness {
  const { db, counts } = countingD1(over.db ?? env.DB);
  const events = capturingQueue();
  return { env: { ...env, ...over.vars, DB: db, EVENTS: events } as unknown as Env, counts, events, eventIds: [], runs: [] };
}

const isEvent = (body: unknown) => typeof body === "object" && body !== null && "eventId" in body;

/**
 * Runs job pages through the real queue handler, one message per invocation, as the Queues runtime would:
 * what a page sends is run next, a retried page comes back with one more attempt, and after `maxRetries`
 * it goes to the dead-letter queue's handler. Stops when no page is left, or after `maxInvocations`; pages that
 * `follow` refuses (e.g. the next job of the daily chain) are left unsent.
 */
export async function runPages(
  h: JobHarness,
  first: unknown[],
  opts: { maxInvocations?: number; maxRetries?: number; follow?: (body: unknown) => boolean } = {},
): Promise<PageRun[]> {
  const maxRetries = opts.maxRetries ?? 10;
  const waiting: { queue: string; body: unknown; attempts: number }[] = first.map((body) => ({ queue: "tenure-events", body, attempts: 1 }));
  for (let i = 0; waiting.length > 0; i++) {
    if (i >= (opts.maxInvocations ?? 500)) throw new Error(`job pages still waiting after ${i} invocations`);
    const m = waiting.shift()!;
    h.counts.calls = 0;
    h.counts.statements = 0;
    h.events.sent.length = 0;
    const batch = createMessageBatch(m.queue, [{ id: `page-${i}`, timestamp: new Date(), attempts: m.attempts, body: m.body }]);
    const ctx = createExecutionContext();
    let error: unknown;
    try {
      await worker.queue!(batch as MessageBatch<never>, h.env as never);
    } catch (err) {
      error = err;
    }
    await waitOnExecutionContext(ctx);
    const result = await getQueueResult(batch, ctx);
    const retried = error !== undefined || result.retryBatch.retry || result.retryMessages.length > 0;
    h.runs.push({ queue: m.queue, body: m.body, attempts: m.attempts, ...h.counts, acked: result.explicitAcks.length > 0 || result.ackAll, retried, error });
    for (const body of h.events.sent) {
      if (isEvent(body)) h.eventIds.push((body as { eventId: string }).eventId);
      else if (opts.follow?.(body) ?? true) waiting.push({ queue: "tenure-events", body, attempts: 1 });
    }
    if (retried && m.queue === "tenure-events") {
      waiting.push(m.attempts > maxRetries ? { queue: "tenure-events-dlq", body: m.body, attempts: 1 } : { ...m, attempts: m.attempts + 1 });
    }
  }
  return h.runs;
}

/** The daily cron (its own D1 calls in `cron`), then every page of every job it started. */
export async function runDaily(h: JobHarness, scheduledTime = Date.now()): Promise<{ cron: { calls: number; started: unknown[] }; runs: PageRun[] }> {
  h.counts.calls = 0;
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ cron: "17 3 * * *", scheduledTime }), h.env as never, ctx);
  await waitOnExecutionContext(ctx);
  const started = h.events.sent.splice(0);
  const cron = { calls: h.counts.calls, started };
  return { cron, runs: await runPages(h, started) };
}
