import { hex, hmacBytes } from "./crypto";

/** Delighted: X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, body)>. */
export async function signDelighted(secret: string, body: string): Promise<Record<string, string>> {
  return { "X-Delighted-Webhook-Signature": `sha256=${hex(await hmacBytes("SHA-256", secret, body))}` };
}
