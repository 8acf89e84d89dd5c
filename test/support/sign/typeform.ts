import { base64, hmacBytes } from "./crypto";

/** Typeform: Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, body)>. */
export async function signTypeform(secret: string, body: string): Promise<Record<string, string>> {
  return { "Typeform-Signature": `sha256=${base64(await hmacBytes("SHA-256", secret, body))}` };
}
