/**
 * The one HMAC / constant-time / freshness helper every source uses. Web Crypto only.
 */

export type SignatureFailure =
  | "missing_signature"
  | "malformed_signature"
  | "bad_signature"
  | "missing_timestamp"
  | "stale_timestamp"
  | "future_timestamp";

export class SignatureError extends Error {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
    this.name = "SignatureError";
  }
}

/** Default replay window: 5 minutes either side of now. */
export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;

const encoder = new TextEncoder();

export function utf8(s: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(s) as Uint8Array<ArrayBuffer>;
}

export async function hmac(hash: "SHA-256" | "SHA-1" | "SHA-512", secret: string, data: string | Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash }, false, ["sign"]);
  const bytes = typeof data === "string" ? utf8(data) : (data as Uint8Array<ArrayBuffer>);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
}

export async function sha256(data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(data)));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Constant-time string comparison (lengths are not secret: every signature here has a fixed length). */
export function timingSafeEqualStr(a: string, b: string): boolean {
  const x = utf8(a);
  const y = utf8(b);
  if (x.byteLength !== y.byteLength) return false;
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** True when any candidate equals the expected signature; every candidate is compared, in constant time. */
export function anyEqual(expected: string, candidates: readonly string[]): boolean {
  let ok = false;
  for (const c of candidates) ok = timingSafeEqualStr(expected, c) || ok;
  return ok;
}

/** Rejects a signed timestamp older or newer than the tolerance. */
export function assertFresh(timestampMs: number, nowMs: number, toleranceMs = DEFAULT_TOLERANCE_MS): void {
  if (!Number.isFinite(timestampMs)) throw new SignatureError("missing_timestamp", "The signature timestamp is missing or not a number.");
  if (nowMs - timestampMs > toleranceMs)
    throw new SignatureError("stale_timestamp", "The signature timestamp is older than 5 minutes: a replay, or a clock that is off.");
  if (timestampMs - nowMs > toleranceMs)
    throw new SignatureError("future_timestamp", "The signature timestamp is more than 5 minutes in the future: check the sender's clock.");
}

export function requireHeader(headers: Headers, name: string): string {
  const v = headers.get(name);
  if (!v) throw new SignatureError("missing_signature", `The ${name} header is missing: is the webhook configured with a signing secret?`);
  return v;
}
