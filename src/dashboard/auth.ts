import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { sha256, timingSafeEqualStr, toBase64 } from "../../webhooks/signature";
import { roleAllows, roleFor, type Role } from "../core/roles";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { log } from "../log";
import { checkThrottle, lockedMessage, noteFailure, noteSuccess } from "../routes/admin-throttle";
import { accessSettings, accessToken, verifyAccessToken } from "./access";
import { LoginPage } from "./login";
import { render } from "./render";
import {
  LOGIN_COOKIE,
  LOGIN_FORM_TTL_MS,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  createSession,
  csrfMatches,
  endSession,
  isRandomId,
  loginFormField,
  loginFormToken,
  loginFormTokenMatches,
  verifySession,
  type Session,
} from "./session";

/** Who is using the dashboard: the actor is what audit records name. */
export interface Person {
  email: string | null;
  role: Role;
  actor: string;
}
/** A signed-in request: the person and the CSRF token its forms carry. */
export interface DashSession {
  csrf: string;
  person: Person;
}
export type DashVars = { session: DashSession; form: Record<string, string> };
export type DashEnv = { Bindings: Env; Variables: DashVars };

/** The login form: a missing or odd field reads as empty, which fails its check like a wrong value. */
const loginFormSchema = z.object({
  token: z.string().trim().max(1024).catch(""),
  _login: z.string().max(128).catch(""),
});

/** Both cookies are `__Host-`: Secure, Path=/, no Domain. Browsers accept Secure cookies from http://localhost too. */
const cookieBase = { httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;

const TOKEN_PERSON: Person = { email: null, role: "admin", actor: "admin (token)" };

/**
 * The person behind a request. Behind Cloudflare Access it is the verified token's email, and a missing or bad
 * token is refused here (401), so no page renders without one; the CSRF token is a hash of the Access token, which
 * a cross-site page cannot read. Without Access it is the ADMIN_TOKEN session, or null (the login page).
 */
export async function currentSession(c: Context<DashEnv>): Promise<DashSession | null> {
  const cfg = loadConfig(c.env);
  const access = accessSettings(cfg);
  if (access) {
    const jwt = accessToken(c);
    const verified = await verifyAccessToken(jwt, access);
    if (!verified.ok) throw new AppError(verified.status, "access_required", `${verified.reason} Open the dashboard through its Cloudflare Access URL to sign in.`);
    const person = { email: verified.email, role: roleFor(verified.email, cfg.TENURE_ROLES), actor: verified.email };
    return remember(c, { csrf: toBase64(await sha256(`tenure csrf.${jwt}`)), person });
  }
  const token = cfg.ADMIN_TOKEN;
  const session: Session | null = token ? await verifySession(c.env.DB, token, getCookie(c, SESSION_COOKIE), Date.now()) : null;
  return session ? remember(c, { csrf: session.csrf, person: TOKEN_PERSON }) : null;
}

/** Kept on the context, so the layout's header can name the person. */
function remember(c: Context<DashEnv>, session: DashSession): DashSession {
  c.set("session", session);
  return session;
}

/**
 * Pages need a session (else back to the login page); forms also need the session's CSRF token and, when
 * `needed` is given, a role at least that high. The parsed form is kept on the context for the handler.
 */
const guard = (needed: Role | null) =>
  createMiddleware<DashEnv>(async (c, next) => {
    const session = await currentSession(c);
    if (c.req.method === "GET") {
      if (!session) return c.redirect("/", 303);
      return next();
    }
    if (!session) throw new AppError(403, "no_session", "Log in to the dashboard first.");
    const raw = await c.req.parseBody();
    const form = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string"));
    if (!csrfMatches(session, form._csrf)) throw new AppError(403, "csrf", "The form's CSRF token does not match this session; reload the page and try again.");
    const { role } = session.person;
    if (needed && !roleAllows(role, needed)) throw new AppError(403, "role_required", `This needs the ${needed} role; you are signed in as ${role}.`);
    c.set("form", form);
    await next();
  });

export const requireSession = guard(null);
/** For every form that changes something: the session, its CSRF token, and this role or higher. */
export const requireRole = (role: Role) => guard(role);

/**
 * The login page. Its form carries a MAC of the nonce in the login cookie: the request's cookie when it has
 * one, else a new one (unless `issue` is false: a script's failed login gets the page without a cookie).
 */
async function loginPage(c: Context<DashEnv>, props: { error?: string }, status: ContentfulStatusCode, issue = true): Promise<Response> {
  const token = loadConfig(c.env).ADMIN_TOKEN;
  if (!token) return render(c, LoginPage, { disabled: true }, status === 200 ? 200 : 503);
  const held = getCookie(c, LOGIN_COOKIE);
  if (isRandomId(held)) return render(c, LoginPage, { ...props, loginToken: await loginFormField(token, held) }, status);
  if (!issue) return render(c, LoginPage, props, status);
  const fresh = await loginFormToken(token);
  setCookie(c, LOGIN_COOKIE, fresh.cookie, { ...cookieBase, maxAge: LOGIN_FORM_TTL_MS / 1000 });
  return render(c, LoginPage, { ...props, loginToken: fresh.field }, status);
}

export const showLogin = (c: Context<DashEnv>) => loginPage(c, {}, 200);

/**
 * How a login request came. Login CSRF needs the victim's browser, and browsers label what they send:
 * Sec-Fetch-Site on every request (all current engines) and Origin on every POST. A request with neither is
 * a script (curl, a test) that could just as well log itself in, so it needs no pre-login token; a browser's
 * login must be same-origin and carry the form's token.
 */
function loginRequestKind(c: Context<DashEnv>): "script" | "same-origin" | "cross-site" {
  const site = c.req.header("sec-fetch-site");
  const origin = c.req.header("origin");
  if (site === undefined && origin === undefined) return "script";
  if (site !== undefined && site !== "same-origin") return "cross-site";
  if (origin === undefined) return "same-origin";
  const publicUrl = loadConfig(c.env).PUBLIC_URL;
  const own = [new URL(c.req.url).origin, ...(publicUrl ? [new URL(publicUrl).origin] : [])];
  return own.includes(origin) ? "same-origin" : "cross-site";
}

export async function login(c: Context<DashEnv>): Promise<Response> {
  if (accessSettings(loadConfig(c.env))) throw new AppError(404, "access_sign_in", "Sign-in is through Cloudflare Access; there is no token login.");
  const token = loadConfig(c.env).ADMIN_TOKEN;
  if (!token) return render(c, LoginPage, { disabled: true }, 503);
  const kind = loginRequestKind(c);
  if (kind === "cross-site") {
    log("warn", "cross-site login refused", { origin: c.req.header("origin") ?? null, secFetchSite: c.req.header("sec-fetch-site") ?? null });
    throw new AppError(403, "cross_site_login", "Log in from Tenure's own login page.");
  }
  const form = loginFormSchema.parse(await c.req.parseBody());
  const browser = kind === "same-origin";
  if (browser && !(await loginFormTokenMatches(token, getCookie(c, LOGIN_COOKIE), form._login))) {
    return loginPage(c, { error: "The login form expired. Enter the token again." }, 403);
  }
  const now = Date.now();
  const check = await checkThrottle(c.env.DB, c.req.header("cf-connecting-ip"), "login", now);
  const locked = (retryAfterS: number) => {
    c.header("retry-after", String(retryAfterS));
    return loginPage(c, { error: lockedMessage(retryAfterS) }, 429, browser);
  };
  if (check.retryAfterS > 0) return locked(check.retryAfterS);
  if (!form.token || !timingSafeEqualStr(form.token, token)) {
    const failure = await noteFailure(c.env.DB, check, "login", now);
    return failure.counted ? loginPage(c, { error: "That is not the admin token." }, 401, browser) : locked(failure.lockedForS);
  }
  const wait = await noteSuccess(c.env.DB, check, "login", now);
  if (wait > 0) return locked(wait);
  const session = await createSession(c.env.DB, token, now, c.req.header("user-agent"));
  setCookie(c, SESSION_COOKIE, session.id, { ...cookieBase, maxAge: SESSION_TTL_MS / 1000 });
  if (getCookie(c, LOGIN_COOKIE) !== undefined) deleteCookie(c, LOGIN_COOKIE, { path: "/", secure: true });
  return c.redirect("/", 303);
}

/** Deletes the session row, so a copied cookie is refused afterwards, and clears the cookie. */
export async function logout(c: Context<DashEnv>): Promise<Response> {
  // https://developers.cloudflare.com/cloudflare-one/identity/users/session-management/
  if (accessSettings(loadConfig(c.env))) return c.redirect("/cdn-cgi/access/logout", 303);
  await endSession(c.env.DB, getCookie(c, SESSION_COOKIE));
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
  return c.redirect("/", 303);
}
