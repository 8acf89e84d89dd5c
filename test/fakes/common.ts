/** Pieces every fake vendor shares. Web APIs only, so the fakes run in workerd and in Node alike. */

export type Clock = () => number;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  at: number;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function bearer(req: Request): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "");
  return m ? m[1]!.trim() : null;
}

/**
 * Injected failures: `failNext(n, status)` answers the next n requests with `status`;
 * `outage(untilMs)` answers 503 to everything until the clock reaches `untilMs`.
 */
export class FaultSwitch {
  private queue: number[] = [];
  private downUntil = 0;

  failNext(n: number, status: number): void {
    for (let i = 0; i < n; i++) this.queue.push(status);
  }

  outage(untilMs: number): void {
    this.downUntil = untilMs;
  }

  clear(): void {
    this.queue = [];
    this.downUntil = 0;
  }

  /** The status to fail this request with, or null to serve it. */
  take(now: number): number | null {
    if (now < this.downUntil) return 503;
    return this.queue.shift() ?? null;
  }
}

/** A rolling-window counter: at most `max` admitted requests in any `windowMs`. */
export class RollingWindow {
  private hits: number[] = [];

  constructor(
    public max: number,
    readonly windowMs: number,
  ) {}

  private prune(now: number): void {
    while (this.hits.length > 0 && this.hits[0]! <= now - this.windowMs) this.hits.shift();
  }

  /** Admits the request, or returns how long until a slot frees up. */
  take(now: number): { ok: true; remaining: number } | { ok: false; retryAfterMs: number } {
    this.prune(now);
    if (this.hits.length >= this.max) return { ok: false, retryAfterMs: this.hits[0]! + this.windowMs - now };
    this.hits.push(now);
    return { ok: true, remaining: this.max - this.hits.length };
  }

  remaining(now: number): number {
    this.prune(now);
    return Math.max(0, this.max - this.hits.length);
  }
}

/** The body as text; read as bytes because workerd warns when .text() meets a form body. */
export async function readBody(req: Request): Promise<string> {
  return new TextDecoder().decode(await req.arrayBuffer());
}

/** One entry of a fake's request log. */
export function recordOf(req: Request, body: string, status: number, at: number): RecordedRequest {
  const url = new URL(req.url);
  return { method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body, status, at };
}

let counter = 0;
/** Short unique ids like vendors' (prefix + base36), deterministic within one process run. */
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}${counter.toString(36).padStart(8, "0")}`;
}

/** One held request, waiting either `before` the vendor acts on it or `after` it has acted. */
export interface Hold {
  phase: "before" | "after";
  released: Promise<void>;
}

/**
 * A vendor that hangs. `hangNext(n, phase)` holds the next n requests until `release()`:
 * - "before": the request reached the vendor, which has not acted yet and acts on release (a slow vendor);
 * - "after": the vendor acted at once; only its answer is held (a response that never arrives in time).
 * A client that gives up does not stop the vendor: released requests still act.
 */
export class Stall {
  private queue: Hold["phase"][] = [];
  private waiting: (() => void)[] = [];

  hangNext(n: number, phase: Hold["phase"] = "after"): void {
    for (let i = 0; i < n; i++) this.queue.push(phase);
  }

  /** How many requests are being held right now. */
  get held(): number {
    return this.waiting.length;
  }

  /** Lets every held request finish, and stops holding new ones. */
  release(): void {
    this.queue = [];
    for (const go of this.waiting.splice(0)) go();
  }

  /** The hold for the request now arriving, or null to serve it straight away. */
  take(): Hold | null {
    const phase = this.queue.shift();
    if (!phase) return null;
    return { phase, released: new Promise<void>((resolve) => this.waiting.push(resolve)) };
  }

  /** Serves a request through the hold, for a fake that has no stall of its own. */
  async around(serve: () => Promise<Response>): Promise<Response> {
    const hold = this.take();
    if (hold?.phase === "before") await hold.released;
    const res = await serve();
    if (hold?.phase === "after") await hold.released;
    return res;
  }
}
