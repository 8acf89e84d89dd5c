import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { timingSafeEqualStr } from "../../webhooks/signature";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { LoginPage } from "./login";
import { render } from "./render";
import { SESSION_COOKIE, SESSION_TTL_MS, createSession, csrfMatches, isLocalHost, verifySession, type Session } from "./session";

export type DashVars = { session: Session; form: Record<string, string> };
export type DashEnv = { Bindings: Env; Variables: DashVars };

export async function currentSession(c: Context<DashEnv>): Promise<Session | null> {
  const token = loadConfig(c.env).ADMIN_TOKEN;
  return token ? verifySession(token, getCookie(c, SESSION_COOKIE), Date.now()) : null;
}

/**
 * Pages need a session (else back to the login page); forms also need the session's CSRF token.
 * The parsed form is kept on the context for the handler.
 */
export const requireSession = createMiddleware<DashEnv>(async (c, next) => {
  const session = await currentSession(c);
  if (c.req.method === "GET") {
    if (!session) return c.redirect("/", 303);
    c.set("session", session);
    return next();
  }
  if (!session) throw new AppError(403, "no_session", "Log in to the dashboard first.");
  const raw = await c.req.parseBody();
  const form = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string"));
  if (!csrfMatches(session, form._csrf)) throw new AppError(403, "csrf", "The form's CSRF token does not match this session; reload the page and try again.");
  c.set("session", session);
  c.set("form", form);
  await next();
});

export async function login(c: Context<DashEnv>): Promise<Response> {
  const token = loadConfig(c.env).ADMIN_TOKEN;
  if (!token) return render(c, LoginPage, { disabled: true }, 503);
  const form = await c.req.parseBody();
  const given = typeof form.token === "string" ? form.token.trim() : "";
  if (!given || !timingSafeEqualStr(given, token)) return render(c, LoginPage, { error: "That is not the admin token." }, 401);
  const { cookie } = await createSession(token, Date.now());
  setCookie(c, SESSION_COOKIE, cookie, {
    httpOnly: true,
    secure: !isLocalHost(c.req.url),
    sameSite: "Strict",
    path: "/",
    maxAge: SESSION_TTL_MS / 1000,
  });
  return c.redirect("/", 303);
}

export function logout(c: Context<DashEnv>): Response {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !isLocalHost(c.req.url) });
  return c.redirect("/", 303);
}
