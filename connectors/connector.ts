import type { ActionPayload, Destination } from "../src/core/actions";
import type { Config } from "../src/env";

/** One outbox row handed to a connector. */
export interface OutboxAction<P extends ActionPayload = ActionPayload> {
  id: string;
  customerId: string | null;
  payload: P;
  attempts: number;
  /** An earlier attempt ended without an outcome (a crash after the vendor call, maybe). */
  unconfirmed?: boolean;
  createdAt?: number;
}

export type DeliveryOutcome =
  | { id: string; status: "delivered"; result?: unknown }
  /** Transient: 408/409/429/5xx/network. retryAfterMs comes from the vendor's Retry-After when it sent one. */
  | { id: string; status: "retry"; error: string; retryAfterMs?: number; httpStatus?: number; policy?: string }
  /** A 4xx other than 408/409/429, or the vendor saying no in a way a retry will not fix. */
  | { id: string; status: "permanent"; error: string; httpStatus?: number };

export interface ConnectorDeps {
  cfg: Config;
  /**
   * From the outbox: every request takes a token from its destination's rate limiter, may wait, and times out
   * inside the lease (src/outbox/vendor-fetch.ts). Throws when a request was held back or got no answer.
   */
  fetch: typeof fetch;
  now: () => number;
  /** The stored result of an earlier delivered action (e.g. a Slack alert's {channel, ts}), or undefined. */
  lookupResult?: (actionId: string) => Promise<unknown>;
  /** Stores owners the connector looked up, so the dashboard can show their names and match the signed-in email. */
  rememberOwners?: (owners: { id: string; name: string | null; email: string | null }[]) => Promise<void>;
}

export interface Connector {
  destination: Destination;
  /** Why this connector cannot act (a missing credential), or null when it can. */
  disabledReason(cfg: Config): string | null;
  /** How many actions the connector can send in one call (HubSpot batches 100; others 1). */
  maxBatch: number;
  deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]>;
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(res: Response, now: number): number | undefined {
  const h = res.headers.get("retry-after");
  if (!h) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** 408, 409, 429 and 5xx are worth retrying; any other 4xx is permanent. */
export function isTransient(status: number): boolean {
  return status === 408 || status === 409 || status === 423 || status === 429 || status >= 500;
}
