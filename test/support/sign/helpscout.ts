import { base64, hmacBytes } from "./crypto";

/** Help Scout: X-HelpScout-Signature = base64(HMAC-SHA1(secret, body)); the event name rides along. */
export async function signHelpscout(secret: string, body: string, event = "convo.status"): Promise<Record<string, string>> {
  return { "X-HelpScout-Signature": base64(await hmacBytes("SHA-1", secret, body)), "X-HelpScout-Event": event };
}
