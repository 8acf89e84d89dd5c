import { timingSafeEqualStr } from "../../webhooks/signature";

/**
 * Dashboard sessions without storage: the cookie holds an expiry and a random id, signed with a key
 * derived (HKDF) from ADMIN_TOKEN, never the token itself. Rotating ADMIN_TOKEN ends every session.
 * The CSRF token of a session is a second MAC over its id, so forms need no server-side state either.
 */

export const SESSION_COOKIE = "tenure_session";
export const SESSION_TTL_MS = 12 * 3_600_000;

const enc = new TextEncoder();

function b64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function sessionKey(adminToken: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", enc.encode(adminToken), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode("tenure-dashboard"), info: enc.encode("session v1") },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

async function mac(adminToken: string, message: string): Promise<string> {
  return b64url(await crypto.subtle.sign("HMAC", await sessionKey(adminToken), enc.encode(message)));
}

export interface Session {
  id: string;
  expiresAt: number;
  csrf: string;
}

export async function createSession(adminToken: string, now: number): Promise<{ cookie: string; session: Session }> {
  const id = b64url(crypto.getRandomValues(new Uint8Array(18)).buffer);
  const expiresAt = now + SESSION_TTL_MS;
  const body = `v1.${expiresAt}.${id}`;
  return { cookie: `${body}.${await mac(adminToken, body)}`, session: { id, expiresAt, csrf: await csrfToken(adminToken, id) } };
}

/** The session a cookie proves, or null when it is malformed, forged, or expired. */
export async function verifySession(adminToken: string, cookie: string | undefined, now: number): Promise<Session | null> {
  const m = /^v1\.(\d{1,16})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? "");
  if (!m) return null;
  const [, exp, id, sig] = m as unknown as [string, string, string, string];
  if (!timingSafeEqualStr(sig, await mac(adminToken, `v1.${exp}.${id}`))) return null;
  if (Number(exp) <= now) return null;
  return { id, expiresAt: Number(exp), csrf: await csrfToken(adminToken, id) };
}

export function csrfToken(adminToken: string, sessionId: string): Promise<string> {
  return mac(adminToken, `csrf.${sessionId}`);
}

export function csrfMatches(session: Session, given: unknown): boolean {
  return typeof given === "string" && given.length > 0 && timingSafeEqualStr(given, session.csrf);
}

/** Browsers only send Secure cookies over https; local dev on http://localhost keeps working. */
export function isLocalHost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host.endsWith(".localhost");
}
