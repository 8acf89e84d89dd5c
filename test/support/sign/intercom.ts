import { hex, hmacBytes } from "./crypto";

/** Intercom: X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>. */
export async function signIntercom(secret: string, body: string): Promise<Record<string, string>> {
  return { "X-Hub-Signature": `sha1=${hex(await hmacBytes("SHA-1", secret, body))}` };
}
