/**
 * Counts the operations Cloudflare bills, by wrapping a Worker's bindings: D1 rows read and written (every
 * D1 result carries `meta.rows_read` / `meta.rows_written`), queue messages written, read and deleted (billed
 * per 64 KB), Durable Object requests and their wall time, and Worker invocations. Behaviour is unchanged:
 * each call goes to the real binding, and the wrappers are created once per binding so that anything keyed
 * on a binding's identity keeps working.
 *
 * Not wired into the app: the benchmark's metered entry (bench/metered/index.ts) wraps the app with it.
 * https://developers.cloudflare.com/d1/platform/pricing/ · https://developers.cloudflare.com/queues/platform/pricing/
 */

/** Queues bill one operation per 64 KB of a message written, read or deleted. */
const QUEUE_OP_BYTES = 64 * 1024;
/** Per-message metadata Cloudflare counts towards a message's size. */
const QUEUE_MESSAGE_OVERHEAD_BYTES = 100;

export interface QueueSent {
  messages: number;
  ops: number;
  bytes: number;
}

export interface QueueConsumed {
  invocations: number;
  messages: number;
  readOps: number;
  /** Messages acknowledged (explicitly or by a handler that returned): each is one delete. */
  deleted: number;
  deleteOps: number;
  retried: number;
  /** Wall time of the consumer invocations, from start until their last I/O completed. */
  wallMs: number;
}

export interface UsageCounts {
  invocations: { fetch: number; webhooks: number; queue: number; scheduled: number };
  d1: {
    calls: number;
    statements: number;
    rowsRead: number;
    rowsWritten: number;
    unmetered: number;
    /** By statement kind and table, e.g. `UPDATE inbox_events` (index entries count as rows written, as D1 bills them). */
    byStatement: Record<string, { statements: number; rowsRead: number; rowsWritten: number }>;
    /** Round trips by what they carried: a statement's label, or `batch: <label of its first statement>`. */
    callsBy: Record<string, number>;
  };
  /** By producer binding name. */
  sent: Record<string, QueueSent>;
  /** By queue name. */
  consumed: Record<string, QueueConsumed>;
  /**
   * Requests (RPC calls and alarms, as Cloudflare bills them) and their wall time; alarms also apart, with the time at
   * least one ran (the shards' alarms run at once and share the CPUs: their wall times added would count it twice).
   */
  durableObjects: { requests: number; wallMs: number; alarms: number; alarmBusyMs: number };
  /** When the last invocation began or ended (ms): a quiet meter means the Worker is idle. */
  lastActivityAt: number;
  /** Invocations that have begun and not yet ended. */
  inFlight: number;
}

type Meta = { rows_read?: number; rows_written?: number } | undefined;

export class UsageMeter {
  readonly counts: UsageCounts = {
    invocations: { fetch: 0, webhooks: 0, queue: 0, scheduled: 0 },
    d1: { calls: 0, statements: 0, rowsRead: 0, rowsWritten: 0, unmetered: 0, byStatement: {}, callsBy: {} },
    sent: {},
    consumed: {},
    durableObjects: { requests: 0, wallMs: 0, alarms: 0, alarmBusyMs: 0 },
    lastActivityAt: Date.now(),
    inFlight: 0,
  };
  private readonly wrapped = new WeakMap<object, object>();

  private boot: string | undefined;
  private alarmsRunning = 0;
  private alarmsBusySince = 0;

  /** A copy of the counts so far, and an id that changes when the Worker restarts (counts start again from zero). */
  snapshot(): UsageCounts & { at: number; boot: string } {
    this.boot ??= crypto.randomUUID();
    return { ...structuredClone(this.counts), at: Date.now(), boot: this.boot };
  }

  /** `env` with every D1 database, queue producer and Durable Object namespace in it metered; other values as they are. */
  env<E extends object>(env: E): E {
    const hit = this.wrapped.get(env);
    if (hit) return hit as E;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(env)) out[name] = this.binding(name, value);
    this.wrapped.set(env, out);
    return out as E;
  }

  /** Runs one invocation (fetch or scheduled) and counts it. */
  async invocation<T>(kind: "fetch" | "scheduled", run: () => T | Promise<T>, opts: { webhook?: boolean } = {}): Promise<T> {
    this.counts.invocations[kind]++;
    if (opts.webhook) this.counts.invocations.webhooks++;
    this.begin();
    try {
      return await run();
    } finally {
      this.end();
    }
  }

  /** A Durable Object's alarm: one request, in flight while it runs (the account shards apply held rows in theirs). */
  async alarm<T>(run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const counts = this.counts.durableObjects;
    counts.requests++;
    counts.alarms++;
    if (this.alarmsRunning++ === 0) this.alarmsBusySince = started;
    this.begin();
    try {
      return await run();
    } finally {
      const now = Date.now();
      counts.wallMs += now - started;
      if (--this.alarmsRunning === 0) counts.alarmBusyMs += now - this.alarmsBusySince;
      this.end();
    }
  }

  /** Counts work an invocation hands to `ctx.waitUntil` as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.begin();
    return work.finally(() => this.end());
  }

  /** Runs a queue consumer invocation: counts the messages it read and which of them were acked (deleted) or retried. */
  async consume<B>(batch: MessageBatch<B>, handler: (batch: MessageBatch<B>) => void | Promise<void>): Promise<void> {
    const started = Date.now();
    this.counts.invocations.queue++;
    this.begin();
    const flags = batch.messages.map(() => ({ acked: false, retried: false }));
    const messages = batch.messages.map(
      (msg, i) =>
        new Proxy(msg, {
          get(target, prop) {
            if (prop === "ack") return () => ((flags[i]!.acked = true), target.ack());
            if (prop === "retry") return (o?: QueueRetryOptions) => ((flags[i]!.retried = true), target.retry(o));
            const v: unknown = Reflect.get(target, prop);
            return typeof v === "function" ? v.bind(target) : v;
          },
        }),
    );
    let ackedAll = false;
    let retriedAll = false;
    const metered: MessageBatch<B> = {
      queue: batch.queue,
      messages,
      metadata: batch.metadata,
      ackAll: () => ((ackedAll = true), batch.ackAll()),
      retryAll: (o?: QueueRetryOptions) => ((retriedAll = true), batch.retryAll(o)),
    };
    let ok = false;
    try {
      await handler(metered);
      ok = true;
    } finally {
      const c = (this.counts.consumed[batch.queue] ??= { invocations: 0, messages: 0, readOps: 0, deleted: 0, deleteOps: 0, retried: 0, wallMs: 0 });
      c.invocations++;
      c.wallMs += Date.now() - started;
      batch.messages.forEach((msg, i) => {
        const ops = queueOps(msg.body);
        const f = flags[i]!;
        const retried = f.retried || (!f.acked && (!ok || (retriedAll && !ackedAll)));
        c.messages++;
        c.readOps += ops;
        if (retried) c.retried++;
        else (c.deleted++, (c.deleteOps += ops));
      });
      this.end();
    }
  }

  private begin(): void {
    this.counts.inFlight++;
    this.counts.lastActivityAt = Date.now();
  }

  private end(): void {
    this.counts.inFlight--;
    this.counts.lastActivityAt = Date.now();
  }

  private binding(name: string, value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const hit = this.wrapped.get(value);
    if (hit) return hit;
    let out: object | null = null;
    if (has(value, "prepare") && has(value, "batch")) out = this.d1(value as D1Database);
    else if (has(value, "send") && has(value, "sendBatch")) out = this.queue(name, value as Queue<unknown>);
    else if (has(value, "idFromName") && has(value, "get")) out = this.namespace(value as DurableObjectNamespace);
    if (!out) return value;
    this.wrapped.set(value, out);
    return out;
  }

  private d1Result(label: string, meta: Meta): void {
    const d1 = this.counts.d1;
    const read = meta?.rows_read ?? 0;
    const written = meta?.rows_written ?? 0;
    d1.statements++;
    d1.rowsRead += read;
    d1.rowsWritten += written;
    const k = (d1.byStatement[label] ??= { statements: 0, rowsRead: 0, rowsWritten: 0 });
    k.statements++;
    k.rowsRead += read;
    k.rowsWritten += written;
  }

  private call(label: string): void {
    this.counts.d1.calls++;
    this.counts.d1.callsBy[label] = (this.counts.d1.callsBy[label] ?? 0) + 1;
  }

  private statement(inner: D1PreparedStatement, label: string): D1PreparedStatement {
    return new MeteredStatement(inner, label, {
      call: () => this.call(label),
      result: (meta) => this.d1Result(label, meta),
      unmetered: () => (this.call(label), this.counts.d1.statements++, this.counts.d1.unmetered++),
    }) as unknown as D1PreparedStatement;
  }

  private d1(db: D1Database): D1Database {
    const prepare = (sql: string) => this.statement(db.prepare(sql), statementLabel(sql));
    const batch = async (stmts: D1PreparedStatement[]) => {
      this.call(`batch: ${labelOf(stmts[0])}`);
      const results = await db.batch(stmts.map(unwrap));
      results.forEach((r, i) => this.d1Result(labelOf(stmts[i]), r.meta));
      return results;
    };
    return passThrough(db, { prepare, batch });
  }

  private queue(binding: string, q: Queue<unknown>): Queue<unknown> {
    const sent = (bodies: unknown[]) => {
      const s = (this.counts.sent[binding] ??= { messages: 0, ops: 0, bytes: 0 });
      for (const body of bodies) {
        s.messages++;
        s.ops += queueOps(body);
        s.bytes += messageBytes(body);
      }
    };
    return passThrough(q, {
      send: async (body: unknown, opts?: QueueSendOptions) => {
        const r = await q.send(body, opts);
        sent([body]);
        return r;
      },
      sendBatch: async (msgs: Iterable<MessageSendRequest<unknown>>, opts?: QueueSendBatchOptions) => {
        const list = [...msgs];
        const r = await q.sendBatch(list, opts);
        sent(list.map((m) => m.body));
        return r;
      },
    });
  }

  private namespace(ns: DurableObjectNamespace): DurableObjectNamespace {
    const stub = (s: DurableObjectStub) => this.stub(s);
    const wrapGetter = (key: "get" | "getByName") => {
      const fn = Reflect.get(ns, key) as ((...a: unknown[]) => DurableObjectStub) | undefined;
      return fn ? (...args: unknown[]) => stub(fn.apply(ns, args)) : undefined;
    };
    return passThrough(ns, { get: wrapGetter("get"), getByName: wrapGetter("getByName") });
  }

  /** Every call on a stub (fetch or RPC) is one Durable Object request; its wall time approximates billed duration. */
  private stub(s: DurableObjectStub): DurableObjectStub {
    const counts = this.counts.durableObjects;
    return new Proxy(s, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop);
        if (typeof v !== "function" || prop === "then") return v;
        return (...args: unknown[]) => {
          const started = Date.now();
          counts.requests++;
          // Reflect.apply: an RPC method stub treats `.apply` as a remote property, not Function.prototype.apply.
          const r = Reflect.apply(v as (...a: unknown[]) => unknown, target, args);
          const done = () => void (counts.wallMs += Date.now() - started);
          if (r && typeof (r as Promise<unknown>).then === "function") (r as Promise<unknown>).then(done, done);
          else done();
          return r;
        };
      },
    });
  }
}

class MeteredStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly label: string,
    private readonly on: { call(): void; result(meta: Meta): void; unmetered(): void },
  ) {}

  bind(...values: unknown[]): MeteredStatement {
    return new MeteredStatement(this.inner.bind(...values), this.label, this.on);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    this.on.call();
    const r = await this.inner.run<T>();
    this.on.result(r.meta);
    return r;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    this.on.call();
    const r = await this.inner.all<T>();
    this.on.result(r.meta);
    return r;
  }

  /** `first()` carries no meta, so it runs as `all()` (the same query) and keeps the first row, as D1 does. */
  async first<T = unknown>(colName?: string): Promise<T | null> {
    const r = await this.all<Record<string, unknown>>();
    const row = r.results[0];
    if (row === undefined) return null;
    if (colName === undefined) return row as T;
    if (!(colName in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`);
    return row[colName] as T;
  }

  /** `raw()` carries no meta either; it is counted as a statement whose rows are unknown. */
  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    this.on.unmetered();
    return this.inner.raw<T>(options as { columnNames: true });
  }
}

function unwrap(s: D1PreparedStatement): D1PreparedStatement {
  return s instanceof MeteredStatement ? s.inner : s;
}

function labelOf(s: D1PreparedStatement | undefined): string {
  return s instanceof MeteredStatement ? s.label : "other";
}

/**
 * `INSERT inbox_events`, `SELECT customers`…: the statement's verb and the first table it names; an UPDATE also names
 * the first column it sets, so that updates of one table that do different work are counted apart (the commit's
 * status with its guard, the claim's attempt count and the re-drive of waiting events all update `inbox_events`).
 */
function statementLabel(sql: string): string {
  const text = sql.replace(/--[^\n]*/g, " ").replace(/\s+/g, " ").trim();
  const verb = /\b(INSERT|UPDATE|DELETE|SELECT|REPLACE)\b/i.exec(text)?.[1]?.toUpperCase() ?? text.split(" ")[0]?.toUpperCase() ?? "?";
  const table =
    verb === "INSERT" || verb === "REPLACE"
      ? /\bINTO\s+"?(\w+)/i.exec(text)?.[1]
      : verb === "UPDATE"
        ? /\bUPDATE\s+(?:OR\s+\w+\s+)?"?(\w+)/i.exec(text)?.[1]
        : /\bFROM\s+"?(\w+)/i.exec(text)?.[1];
  const set = verb === "UPDATE" ? /\bSET\s+"?(\w+)/i.exec(text)?.[1] : undefined;
  return table ? `${verb} ${table}${set ? ` SET ${set}` : ""}` : verb;
}

function has(o: object, key: string): boolean {
  return typeof (o as Record<string, unknown>)[key] === "function";
}

/** A proxy that answers `overrides` and forwards everything else to the real binding (bound to it). */
function passThrough<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === "string" && overrides[prop] !== undefined) return overrides[prop];
      const v: unknown = Reflect.get(t, prop);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
}

function messageBytes(body: unknown): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch {
    json = undefined;
  }
  return new TextEncoder().encode(json ?? "").length + QUEUE_MESSAGE_OVERHEAD_BYTES;
}

function queueOps(body: unknown): number {
  return Math.max(1, Math.ceil(messageBytes(body) / QUEUE_OP_BYTES));
}
