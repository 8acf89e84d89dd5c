import { isTransient, retryAfterMs, type ConnectorDeps } from "../connector";

/** A HubSpot answer, read once: the body is parsed as JSON when it is JSON, kept as text otherwise. */
export interface HubSpotReply {
  status: number;
  /** The raw response (body already read), for its headers. */
  response: Response;
  body: unknown;
}

export type HubSpotFailure =
  | { status: "retry"; error: string; retryAfterMs?: number; httpStatus?: number; policy?: string }
  | { status: "permanent"; error: string; httpStatus?: number };

const TEN_SECONDS = 10_000;
/** "Locks will last for 2 seconds": a 423 is never worth retrying sooner. */
const LOCK_MS = 2_000;

/** Sends one JSON request with the private-app token; throws only when the network does. */
export async function callHubSpot(
  deps: ConnectorDeps,
  method: "GET" | "POST" | "PATCH",
  path: string,
  body?: unknown,
): Promise<HubSpotReply> {
  const res = await deps.fetch(`${deps.cfg.HUBSPOT_API_BASE}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${deps.cfg.HUBSPOT_ACCESS_TOKEN ?? ""}`,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // HubSpot's edge answers some 5xx with HTML; keep the text for the error message.
  }
  return { status: res.status, response: res, body: parsed };
}

/** Milliseconds from `now` to the next 00:00 UTC. */
export function msUntilNextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now;
}

function field(body: unknown, key: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

/** "HubSpot 400 VALIDATION_ERROR: Property values were not valid…" */
export function describeHubSpotError(reply: HubSpotReply): string {
  const category = field(reply.body, "category") ?? field(reply.body, "errorType");
  const message = field(reply.body, "message") ?? (typeof reply.body === "string" ? reply.body.slice(0, 200) : "");
  return `HubSpot ${reply.status}${category ? ` ${category}` : ""}${message ? `: ${message}` : ""}`;
}

/**
 * Classifies a non-2xx reply.
 * https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (429 policies)
 * https://developers.hubspot.com/docs/api/error-handling (423 lock, 477 migration, 5xx)
 */
export function classifyHubSpotFailure(reply: HubSpotReply, now: number): HubSpotFailure {
  const { status } = reply;
  const error = describeHubSpotError(reply);
  const after = retryAfterMs(reply.response, now);
  if (status === 429) {
    const policy = field(reply.body, "policyName");
    // The daily quota resets at midnight in the account's time zone, which the API does not tell us;
    // UTC midnight is the guess when HubSpot sends no Retry-After.
    const fallback = policy === "DAILY" ? msUntilNextUtcMidnight(now) : TEN_SECONDS;
    return { status: "retry", error, httpStatus: status, retryAfterMs: after ?? fallback, ...(policy ? { policy } : {}) };
  }
  if (status === 423) return { status: "retry", error, httpStatus: status, retryAfterMs: Math.max(after ?? 0, LOCK_MS) };
  if (status === 477 || isTransient(status)) {
    return { status: "retry", error, httpStatus: status, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { status: "permanent", error, httpStatus: status };
}

export function networkFailure(err: unknown): HubSpotFailure {
  return { status: "retry", error: `HubSpot unreachable: ${err instanceof Error ? err.message : String(err)}` };
}
