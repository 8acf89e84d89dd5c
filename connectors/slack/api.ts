import { z } from "zod";
import { isTransient, retryAfterMs, type ConnectorDeps } from "../connector";

export type SlackFailure =
  | { status: "retry"; error: string; retryAfterMs?: number; httpStatus?: number }
  | { status: "permanent"; error: string; httpStatus?: number };

export type SlackReply = { ok: true; data: Record<string, unknown> } | { ok: false; failure: SlackFailure };

/** Errors a retry cannot fix: the token, the channel or the message itself is wrong. */
const PERMANENT = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "no_permission",
  "missing_scope",
  "invalid_blocks",
  "invalid_arguments",
  "msg_too_long",
  "no_text",
  "message_not_found",
  "cant_update_message",
  "users_not_found",
]);

/** Slack answers 429 with Retry-After in seconds; one second is its own floor. */
const RATE_LIMIT_FALLBACK_MS = 1_000;

const envelopeSchema = z.looseObject({ ok: z.boolean(), error: z.string().optional() });

/**
 * Calls one Web API method. Writes go as JSON, reads as a query string (Slack's read methods do not
 * take JSON bodies). Never throws: every failure comes back classified.
 */
export async function callSlack(
  deps: ConnectorDeps,
  method: string,
  args: Record<string, unknown>,
  verb: "POST" | "GET" = "POST",
): Promise<SlackReply> {
  const token = deps.cfg.SLACK_BOT_TOKEN ?? "";
  const query = verb === "GET" ? `?${new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)]))}` : "";
  let res: Response;
  try {
    res = await deps.fetch(`${deps.cfg.SLACK_API_BASE}/${method}${query}`, {
      method: verb,
      headers: {
        authorization: `Bearer ${token}`,
        ...(verb === "POST" ? { "content-type": "application/json; charset=utf-8" } : {}),
      },
      body: verb === "POST" ? JSON.stringify(args) : undefined,
    });
  } catch (err) {
    return fail({ status: "retry", error: `Slack unreachable: ${err instanceof Error ? err.message : String(err)}` });
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 429) {
    const after = retryAfterMs(res, deps.now()) ?? RATE_LIMIT_FALLBACK_MS;
    return fail({ status: "retry", error: `Slack ${method}: ratelimited`, retryAfterMs: after, httpStatus: 429 });
  }
  if (res.status !== 200) {
    const error = `Slack ${method}: HTTP ${res.status}`;
    return fail({ status: isTransient(res.status) ? "retry" : "permanent", error, httpStatus: res.status });
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return fail({ status: "retry", error: `Slack ${method}: unreadable response`, httpStatus: 200 });
  if (envelope.data.ok) return { ok: true, data: envelope.data };
  return fail(classifySlackError(method, envelope.data.error ?? "unknown_error", res, deps.now()));
}

/** HTTP 200 with ok:false is still an error: https://docs.slack.dev/apis/web-api/#responses */
export function classifySlackError(method: string, code: string, res: Response, now: number): SlackFailure {
  const error = `Slack ${method}: ${code}`;
  if (code === "ratelimited") {
    return { status: "retry", error, retryAfterMs: retryAfterMs(res, now) ?? RATE_LIMIT_FALLBACK_MS, httpStatus: 200 };
  }
  return { status: PERMANENT.has(code) ? "permanent" : "retry", error, httpStatus: 200 };
}

const fail = (failure: SlackFailure): SlackReply => ({ ok: false, failure });
