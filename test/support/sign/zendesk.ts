import type { SignOptions } from "../../webhooks/contract";
import { base64, hmacBytes } from "./crypto";

/** Zendesk: base64(HMAC-SHA256(secret, timestamp + body)), timestamp ISO-8601 to the second. */
export async function signZendesk(secret: string, body: string, { now }: SignOptions): Promise<Record<string, string>> {
  const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { "X-Zendesk-Webhook-Signature": base64(await hmacBytes("SHA-256", secret, ts + body)), "X-Zendesk-Webhook-Signature-Timestamp": ts };
}
