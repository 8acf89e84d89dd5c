import type { SignOptions } from "../../webhooks/contract";
import { base64, hmacBytes } from "./crypto";

const DECODED = new Set([":", "/", "?", "@", "!", "$", "'", "(", ")", "*", ",", ";"]);

/** HubSpot decodes these reserved characters' escapes in the URI it signs, and leaves every other escape. */
function signedUri(url: string): string {
  return url.replace(/%[0-9a-fA-F]{2}/g, (esc) => {
    const ch = String.fromCharCode(parseInt(esc.slice(1), 16));
    return DECODED.has(ch) ? ch : esc;
  });
}

/** HubSpot v3: base64(HMAC-SHA256(client secret, method + uri + body + timestamp ms)). */
export async function signHubspot(secret: string, body: string, { now, method, url }: SignOptions): Promise<Record<string, string>> {
  const ts = String(now);
  const sig = base64(await hmacBytes("SHA-256", secret, `${method}${signedUri(url)}${body}${ts}`));
  return { "X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": ts };
}
