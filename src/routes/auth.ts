import { createMiddleware } from "hono/factory";
import { timingSafeEqualStr } from "../../webhooks/signature";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";

/** Bearer ADMIN_TOKEN, compared in constant time. */
export const requireAdmin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const token = loadConfig(c.env).ADMIN_TOKEN;
  if (!token) throw new AppError(503, "admin_disabled", "The admin API is disabled: set the ADMIN_TOKEN secret.");
  const header = c.req.header("authorization") ?? "";
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
  if (!given || !timingSafeEqualStr(given, token)) {
    throw new AppError(401, "unauthorized", "Send the admin token as `Authorization: Bearer <ADMIN_TOKEN>`.");
  }
  await next();
});
