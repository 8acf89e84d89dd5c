import { hex, hmacBytes } from "./crypto";

/** Segment Webhooks destination: X-Signature = hex(HMAC-SHA1(shared secret, body)). */
export async function signSegment(secret: string, body: string): Promise<Record<string, string>> {
  return { "X-Signature": hex(await hmacBytes("SHA-1", secret, body)) };
}
