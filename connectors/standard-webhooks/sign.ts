import { toBase64, utf8 } from "../../webhooks/signature";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec/standard-webhooks.md): the signed content
 * is `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 with the secret's bytes (the base64 after
 * `whsec_`), sent as `webhook-signature: v1,<base64>`; the timestamp is in seconds.
 */

export const SECRET_PREFIX = "whsec_";

/** The key bytes of a `whsec_<base64>` secret; a secret without the prefix is read as base64 too. */
export function secretKey(secret: string): Uint8Array {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export async function standardWebhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  const key = await crypto.subtle.importKey("raw", secretKey(secret) as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`${id}.${timestampSeconds}.${body}`)));
  return { "webhook-id": id, "webhook-timestamp": String(timestampSeconds), "webhook-signature": `v1,${toBase64(mac)}` };
}

/** A secret is usable when its key decodes to 24..64 bytes (the spec recommends 24 or more). */
export function secretProblem(secret: string): string | null {
  try {
    const n = secretKey(secret).byteLength;
    return n >= 24 && n <= 64 ? null : `WEBHOOK_OUT_SECRET must hold 24 to 64 key bytes (it holds ${n})`;
  } catch {
    return "WEBHOOK_OUT_SECRET must be whsec_ followed by base64";
  }
}

