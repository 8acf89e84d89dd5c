import { assertFresh, hmac, SignatureError, timingSafeEqualStr, toHex } from "./signature";

/**
 * Slack's v0 request signature: hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret,
 * timestamp in seconds, 5-minute window both ways, compared in constant time.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
export async function verifySlackSignature(rawBody: string, headers: Headers, secret: string, now: number): Promise<void> {
  const ts = headers.get("x-slack-request-timestamp");
  const sig = headers.get("x-slack-signature");
  if (!sig) throw new SignatureError("missing_signature", "The X-Slack-Signature header is missing.");
  if (!ts || !/^\d+$/.test(ts)) throw new SignatureError("missing_timestamp", "The X-Slack-Request-Timestamp header is missing or not a number.");
  assertFresh(Number(ts) * 1000, now);
  if (!sig.startsWith("v0=")) throw new SignatureError("malformed_signature", "Only v0 Slack signatures are accepted.");
  const expected = `v0=${toHex(await hmac("SHA-256", secret, `v0:${ts}:${rawBody}`))}`;
  if (!timingSafeEqualStr(expected, sig)) throw new SignatureError("bad_signature", "The Slack signature does not match: check SLACK_SIGNING_SECRET.");
}
