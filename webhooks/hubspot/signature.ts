import { assertFresh, hmac, requireHeader, SignatureError, timingSafeEqualStr, toBase64 } from "../signature";
import type { VerifyInput } from "../source";

export const HUBSPOT_SIGNATURE_HEADER = "X-HubSpot-Signature-v3";
export const HUBSPOT_TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp";

/**
 * HubSpot decodes exactly these twelve escapes in the request URI before signing; every other escape
 * (%20, %2B, ...) stays as sent, and so does a literal "?".
 * https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests
 */
const DECODED_ESCAPES: Record<string, string> = {
  "3A": ":",
  "2F": "/",
  "3F": "?",
  "40": "@",
  "21": "!",
  "24": "$",
  "27": "'",
  "28": "(",
  "29": ")",
  "2A": "*",
  "2C": ",",
  "3B": ";",
};

export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (_, hex: string) => DECODED_ESCAPES[hex.toUpperCase()]!);
}

/** base64(HMAC-SHA256(client secret, method + uri + body + timestamp)), HubSpot's v3 scheme. */
export async function hubspotV3Signature(secret: string, method: string, url: string, body: string, timestamp: string): Promise<string> {
  return toBase64(await hmac("SHA-256", secret, `${method.toUpperCase()}${hubspotSignedUri(url)}${body}${timestamp}`));
}

/**
 * Only v3 is accepted: v1/v2 carry no timestamp, and accepting them would let a captured request be
 * replayed past the 5-minute window by stripping its v3 headers. HubSpot sends v3 on every webhook.
 */
export async function verifyHubspotSignature({ rawBody, headers, method, url, now, secret }: VerifyInput): Promise<void> {
  const signature = headers.get(HUBSPOT_SIGNATURE_HEADER);
  if (!signature) {
    const legacy = headers.get("X-HubSpot-Signature-Version");
    throw new SignatureError(
      "missing_signature",
      legacy
        ? `Only X-HubSpot-Signature-v3 is accepted (got a ${legacy} signature without a timestamp): use an app whose webhooks send v3.`
        : "The X-HubSpot-Signature-v3 header is missing: is this request from HubSpot?",
    );
  }
  const timestamp = requireHeader(headers, HUBSPOT_TIMESTAMP_HEADER);
  if (!/^\d+$/.test(timestamp)) throw new SignatureError("missing_timestamp", "X-HubSpot-Request-Timestamp must be milliseconds since epoch.");
  const expected = await hubspotV3Signature(secret, method, url, rawBody, timestamp);
  if (!timingSafeEqualStr(expected, signature.trim())) {
    throw new SignatureError(
      "bad_signature",
      "The HubSpot v3 signature does not match: check HUBSPOT_CLIENT_SECRET (the app's client secret, not an access token), " +
        "that PUBLIC_URL is exactly the URL HubSpot calls, and that the raw body reaches Tenure unchanged.",
    );
  }
  assertFresh(Number(timestamp), now);
}
