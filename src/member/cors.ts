import { createMiddleware } from "hono/factory";
import { loadConfig, type Env } from "../env";

/**
 * CORS for /member/* only: any origin, or the MEMBER_ALLOWED_ORIGINS allow-list. Members authenticate with a
 * bearer token, never a cookie, so credentials are not allowed. Headers are set after the handler, so
 * errors (401, 503) carry them too and the widget can read them.
 */
export const memberCors = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const allowList = loadConfig(c.env).MEMBER_ALLOWED_ORIGINS;
  const origin = c.req.header("origin");
  const allowed = allowList.length === 0 ? "*" : origin && allowList.includes(origin) ? origin : null;
  const corsHeaders = (h: Headers) => {
    if (allowed) h.set("access-control-allow-origin", allowed);
    if (allowList.length > 0) h.append("vary", "Origin");
  };
  if (c.req.method === "OPTIONS") {
    const res = new Response(null, { status: 204 });
    corsHeaders(res.headers);
    if (allowed) {
      res.headers.set("access-control-allow-methods", "GET, POST, OPTIONS");
      res.headers.set("access-control-allow-headers", "Authorization, Content-Type");
      res.headers.set("access-control-max-age", "600");
    }
    return res;
  }
  await next();
  corsHeaders(c.res.headers);
  if (allowed) c.res.headers.set("access-control-expose-headers", "x-request-id, retry-after");
  // A member's data is JSON for a script, never a page to render, frame or cache.
  c.res.headers.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  c.res.headers.set("x-content-type-options", "nosniff");
  c.res.headers.set("cache-control", "no-store");
});
