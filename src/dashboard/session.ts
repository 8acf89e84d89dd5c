import { summarizeUserAgent } from "../core/user-agent";
import { deleteSession, findSession, pruneSessions, saveSession, touchSession } from "../store/sessions";
import { timingSafeEqualStr } from "../../webhooks/signature";

/**
 * Dashboard sessions, kept in D1 so that logout and a new ADMIN_TOKEN end them. The cookie holds only a random
 * id; D1 holds its SHA-256, so a leaked table opens no session. Each row records a fingerprint of the token it
 * was made under (an HMAC of a constant, keyed from ADMIN_TOKEN): after a rotation no row matches.
 * The CSRF token of a session is a MAC over its id, so forms need no further state.
 */

/** `__Host-`: the browser only accepts it Secure, Path=/ and without Domain, so no subdomain can plant or widen it. */
export const SESSION_COOKIE = "__Host-tenure_session";
/** The login form's double-submit cookie (see loginFormToken). */
export const LOGIN_COOKIE = "__Host-tenure_login";
export const SESSION_TTL_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 3_600_000;
export const LOGIN_FORM_TTL_MS = 3_600_000;
/** last_seen_at is rewritten at most this often, so browsing costs a read per page, not a write. */
const TOUCH_EVERY_MS = 60_000;

const enc = new TextEncoder();

function b64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const randomId = () => b64url(crypto.getRandomValues(new Uint8Array(32)).buffer);

/** Whether a cookie value has the shape of an id from randomId (32 bytes, base64url): anything else is not looked up. */
export const isRandomId = (v: string | undefined): v is string => v !== undefined && /^[A-Za-z0-9_-]{43}$/.test(v);

async function sessionKey(adminToken: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", enc.encode(adminToken), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode("tenure-dashboard"), info: enc.encode("session v2") },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

async function mac(adminToken: string, message: string): Promise<string> {
  return b64url(await crypto.subtle.sign("HMAC", await sessionKey(adminToken), enc.encode(message)));
}

async function hashId(id: string): Promise<string> {
  return b64url(await crypto.subtle.digest("SHA-256", enc.encode(id)));
}

export const tokenFingerprint = (adminToken: string) => mac(adminToken, "admin token fingerprint");

export interface Session {
  id: string;
  expiresAt: number;
  csrf: string;
}

/** A new session row; also prunes one page of expired or revoked rows, so the table stays bounded. */
export async function createSession(db: D1Database, adminToken: string, now: number, userAgent?: string | null): Promise<Session> {
  const id = randomId();
  const fingerprint = await tokenFingerprint(adminToken);
  const expiresAt = now + SESSION_TTL_MS;
  await pruneSessions(db, { now, idleMs: SESSION_IDLE_MS, tokenFingerprint: fingerprint });
  await saveSession(db, { idHash: await hashId(id), tokenFingerprint: fingerprint, createdAt: now, lastSeenAt: now, expiresAt, userAgent: summarizeUserAgent(userAgent) });
  return { id, expiresAt, csrf: await csrfToken(adminToken, id) };
}

/** The live session a cookie names, or null when it is malformed, unknown, logged out, expired, idle, or from an older token. */
export async function verifySession(db: D1Database, adminToken: string, cookie: string | undefined, now: number): Promise<Session | null> {
  if (!isRandomId(cookie)) return null;
  const idHash = await hashId(cookie);
  const row = await findSession(db, idHash);
  if (!row) return null;
  const live = row.expiresAt > now && row.lastSeenAt + SESSION_IDLE_MS > now && timingSafeEqualStr(row.tokenFingerprint, await tokenFingerprint(adminToken));
  if (!live) {
    await deleteSession(db, idHash);
    return null;
  }
  if (now - row.lastSeenAt >= TOUCH_EVERY_MS) await touchSession(db, idHash, now);
  return { id: cookie, expiresAt: row.expiresAt, csrf: await csrfToken(adminToken, cookie) };
}

/** Deletes the session a cookie names, so a copy of the cookie opens nothing afterwards. */
export async function endSession(db: D1Database, cookie: string | undefined): Promise<void> {
  if (isRandomId(cookie)) await deleteSession(db, await hashId(cookie));
}

export function csrfToken(adminToken: string, sessionId: string): Promise<string> {
  return mac(adminToken, `csrf.${sessionId}`);
}

export function csrfMatches(session: { csrf: string }, given: unknown): boolean {
  return typeof given === "string" && given.length > 0 && timingSafeEqualStr(given, session.csrf);
}

/**
 * The login form's pre-session CSRF token, double-submit style: a random nonce in a SameSite=Strict `__Host-`
 * cookie, and a MAC of it in the form. A cross-site page can neither read the cookie nor make the browser send it.
 */
export async function loginFormToken(adminToken: string): Promise<{ cookie: string; field: string }> {
  const cookie = randomId();
  return { cookie, field: await loginFormField(adminToken, cookie) };
}

/** The form field that goes with a login cookie. */
export function loginFormField(adminToken: string, cookie: string): Promise<string> {
  return mac(adminToken, `login.${cookie}`);
}

export async function loginFormTokenMatches(adminToken: string, cookie: string | undefined, field: unknown): Promise<boolean> {
  if (!cookie || typeof field !== "string" || field.length === 0) return false;
  return timingSafeEqualStr(field, await loginFormField(adminToken, cookie));
}
