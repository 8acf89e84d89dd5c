import { createMiddleware } from "hono/factory";
import { timingSafeEqualStr } from "../../webhooks/signature";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { checkThrottle, lockedMessage, noteFailure, noteSuccess } from "./admin-throttle";

const unauthorized = () => new AppError(401, "unauthorized", "Send the admin token as `Authorization: Bearer <ADMIN_TOKEN>`.");

/** Requests already admitted: every /api sub-app mounts this middleware, and one request passes several. */
const admitted = new WeakSet<Request>();

/**
 * A request the dashboard builds to call an admin route in-process, after its own guard proved the session,
 * its CSRF token and its role. Only a Request object made inside this isolate can be marked, so nothing that
 * arrives over the network passes this way; and behind Cloudflare Access it works without any ADMIN_TOKEN.
 */
export function admitInProcess(request: Request): Request {
  admitted.add(request);
  return request;
}

/**
 * Bearer ADMIN_TOKEN, compared in constant time. A client with too many recent wrong tokens gets 429 with
 * Retry-After before its token is looked at. A request without an Authorization header is no guess and is not counted.
 */
export const requireAdmin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  if (admitted.has(c.req.raw)) return next();
  const token = loadConfig(c.env).ADMIN_TOKEN;
  if (!token) throw new AppError(503, "admin_disabled", "The admin API is disabled: set the ADMIN_TOKEN secret.");
  const header = c.req.header("authorization");
  if (header === undefined) throw unauthorized();
  const now = Date.now();
  const check = await checkThrottle(c.env.DB, c.req.header("cf-connecting-ip"), "bearer", now);
  const locked = (retryAfterS: number) => {
    c.header("retry-after", String(retryAfterS));
    return new AppError(429, "too_many_attempts", lockedMessage(retryAfterS), { retryAfter: retryAfterS }, true);
  };
  if (check.retryAfterS > 0) throw locked(check.retryAfterS);
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
  if (!given || !timingSafeEqualStr(given, token)) {
    const failure = await noteFailure(c.env.DB, check, "bearer", now);
    throw failure.counted ? unauthorized() : locked(failure.lockedForS);
  }
  const wait = await noteSuccess(c.env.DB, check, "bearer", now);
  if (wait > 0) throw locked(wait);
  admitted.add(c.req.raw);
  await next();
});
