import type { Destination } from "../core/actions";
import { zendeskApiBase, type Config } from "../env";
import { declaredBases } from "../plugins/destinations";

/**
 * The fetch a connector gets. Every request takes one token from its destination's gate (picked by the URL's
 * base, so a HubSpot owner lookup made while delivering a Slack alert counts against HubSpot), waits as told,
 * and carries a timeout; the whole delivery fits inside the outbox lease, so no other worker can take the
 * row while a call is still live.
 */

/** The longest one vendor request may take. */
export const CALL_TIMEOUT_MS = 15_000;
/** What is kept of the lease for writing the outcomes after the last call. */
export const LEASE_RESERVE_MS = 10_000;
/** A call is not started with less time than this left before the deadline. */
const MIN_CALL_MS = 2_000;
/** Longer waits (HubSpot's 10-s window, an open breaker) go back to the queue rather than hold a worker. */
export const MAX_WAIT_IN_PLACE_MS = 2_000;
/** How soon a delivery that ran out of time is tried again. */
const OUT_OF_TIME_RETRY_MS = 1_000;

export interface Timers {
  sleep(ms: number): Promise<void>;
  /** A signal that aborts after `ms`. */
  timeout(ms: number): AbortSignal;
}

export const realTimers: Timers = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  timeout: (ms) => AbortSignal.timeout(ms),
};

/** The request was not sent: the gate asked for a longer wait than the delivery has left. */
export class CallDeferred extends Error {
  constructor(readonly waitMs: number) {
    super(`not sent: paused by the rate limiter or circuit breaker for ${waitMs} ms`);
    this.name = "CallDeferred";
  }
}

export interface CallLog {
  /** Set once a request was held back; the rest of the delivery is held back with it. */
  deferredMs: number | null;
  /** A request that was sent ended without an answer (timeout, connection lost): the vendor may have acted. */
  unknown: boolean;
  /** Requests sent, by destination (a request counts once it is handed to fetch, whatever its answer). */
  sent: Partial<Record<Destination, number>>;
}

export interface VendorFetchOptions {
  cfg: Config;
  fetch: typeof fetch;
  now: () => number;
  /** How long to wait before one request to `destination` may go; see DeliverDeps.gate. */
  gate?: (destination: Destination, calls: number, maxWaitMs?: number) => Promise<number>;
  timers: Timers;
  /** No call may still be running at this time (the lease's end less its reserve). */
  deadline: number;
}

export function destinationOfUrl(cfg: Config, url: string): Destination | null {
  const bases: [Destination, string][] = [
    ["hubspot", cfg.HUBSPOT_API_BASE],
    ["slack", cfg.SLACK_API_BASE],
    ["stripe", cfg.STRIPE_API_BASE],
    ["zendesk", zendeskApiBase(cfg) ?? ""],
    ["webhook", cfg.WEBHOOK_OUT_URL ?? ""],
    // Declared destinations (plugins/*.json) share the "declared" gate, by each one's API base.
    ...declaredBases(cfg).map((base): [Destination, string] => ["declared", base]),
  ];
  const plain = url.replace(/^(https?:\/\/[^/:]+):(443|80)(?=\/)/, "$1");
  return bases.find(([, base]) => base !== "" && (plain === base || plain.startsWith(`${base.replace(/\/+$/, "")}/`)))?.[0] ?? null;
}

/**
 * Whether a request takes a token from its destination's gate. Slack's gate models its posting limit
 * (chat.postMessage and chat.update: about one per second per channel); its other Web API methods are tiered
 * far higher (users.lookupByEmail is Tier 3, 50+ a minute: https://api.slack.com/apis/rate-limits), so a lookup
 * before a post must not halve the posting rate. Their 429s still pause the destination through the breaker.
 */
function gated(destination: Destination, url: string): boolean {
  return destination !== "slack" || /\/chat\.(postMessage|update)(\?|$)/.test(url);
}

export function vendorFetch(opts: VendorFetchOptions): { fetch: typeof fetch; log: CallLog } {
  const log: CallLog = { deferredMs: null, unknown: false, sent: {} };

  const defer = (waitMs: number): never => {
    log.deferredMs = Math.max(log.deferredMs ?? 0, waitMs);
    throw new CallDeferred(waitMs);
  };

  /**
   * Takes a token. Mid-delivery (something already sent), a short wait the deadline allows is waited out
   * in place, on a token the gate reserved for its end, so the rest of the delivery goes out. Otherwise the
   * request is held back: nothing sent yet means the queue's delay does the waiting, holding no worker.
   */
  const admit = async (destination: Destination): Promise<void> => {
    if (log.deferredMs !== null) defer(log.deferredMs);
    const left = opts.deadline - opts.now() - MIN_CALL_MS;
    if (left < 0) defer(OUT_OF_TIME_RETRY_MS);
    const started = Object.keys(log.sent).length > 0;
    const maxWait = started ? Math.min(MAX_WAIT_IN_PLACE_MS, left) : 0;
    const wait = opts.gate ? await opts.gate(destination, 1, maxWait) : 0;
    if (wait <= 0) return;
    if (wait > maxWait) defer(wait);
    await opts.timers.sleep(wait);
  };

  const gatedFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const destination = destinationOfUrl(opts.cfg, url);
    if (destination && gated(destination, url)) await admit(destination);
    else if (log.deferredMs !== null) defer(log.deferredMs);
    const left = opts.deadline - opts.now();
    if (left < MIN_CALL_MS) defer(OUT_OF_TIME_RETRY_MS);
    const signal = anySignal([opts.timers.timeout(Math.min(CALL_TIMEOUT_MS, left)), ...(init?.signal ? [init.signal] : [])]);
    if (destination) log.sent[destination] = (log.sent[destination] ?? 0) + 1;
    try {
      return await untilAborted(opts.fetch(input, { ...init, signal }), signal);
    } catch (err) {
      log.unknown = true;
      throw err;
    }
  };
  return { fetch: gatedFetch, log };
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  if (signals.length === 1) return signals[0]!;
  const ctl = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      ctl.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => ctl.abort(s.reason), { once: true });
  }
  return ctl.signal;
}

/** Rejects when the signal aborts, whether or not the underlying fetch honours it. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error("the vendor call timed out"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
