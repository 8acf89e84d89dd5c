import Stripe from "stripe";
import type { DemoSource } from "./world";

/**
 * Each vendor's real signing algorithm, for the demo's requests (Web Crypto; Node 22 has it as
 * globalThis.crypto). Signatures are made at send time, so their timestamps are fresh.
 */

export type Secrets = Record<
  "STRIPE_WEBHOOK_SECRET" | "HUBSPOT_CLIENT_SECRET" | "ZENDESK_WEBHOOK_SECRET" | "INTERCOM_CLIENT_SECRET" | "SEGMENT_SHARED_SECRET" | "DELIGHTED_WEBHOOK_SECRET" | "TYPEFORM_WEBHOOK_SECRET",
  string
>;

async function hmac(hash: "SHA-1" | "SHA-256", key: string, message: string): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(message)));
}
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const b64 = (b: Uint8Array) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(""));

/** Headers a vendor sends with `body` to `url` (the public URL it was configured with). */
export async function signRequest(source: DemoSource, body: string, o: { url: string; now: number; secrets: Secrets }): Promise<Record<string, string>> {
  const { secrets, now } = o;
  switch (source) {
    case "stripe":
      // https://docs.stripe.com/webhooks#verify-manually (Stripe's own test helper, same scheme)
      return { "stripe-signature": await Stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret: secrets.STRIPE_WEBHOOK_SECRET, timestamp: Math.floor(now / 1000) }) };
    case "hubspot": {
      // https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests (v3)
      const ts = String(now);
      return { "X-HubSpot-Signature-v3": b64(await hmac("SHA-256", secrets.HUBSPOT_CLIENT_SECRET, `POST${o.url}${body}${ts}`)), "X-HubSpot-Request-Timestamp": ts };
    }
    case "zendesk": {
      // https://developer.zendesk.com/documentation/webhooks/verifying/
      const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
      return { "X-Zendesk-Webhook-Signature": b64(await hmac("SHA-256", secrets.ZENDESK_WEBHOOK_SECRET, ts + body)), "X-Zendesk-Webhook-Signature-Timestamp": ts };
    }
    case "intercom":
      return { "X-Hub-Signature": `sha1=${hex(await hmac("SHA-1", secrets.INTERCOM_CLIENT_SECRET, body))}` };
    case "segment":
      return { "X-Signature": hex(await hmac("SHA-1", secrets.SEGMENT_SHARED_SECRET, body)) };
    case "delighted":
      return { "X-Delighted-Webhook-Signature": `sha256=${hex(await hmac("SHA-256", secrets.DELIGHTED_WEBHOOK_SECRET, body))}` };
    case "typeform":
      return { "Typeform-Signature": `sha256=${b64(await hmac("SHA-256", secrets.TYPEFORM_WEBHOOK_SECRET, body))}` };
  }
}
