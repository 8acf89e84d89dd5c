import Stripe from "stripe";
import { anyEqual, assertFresh, hmac, SignatureError, toHex } from "../signature";
import { defineSource } from "../source";
import { normalizeStripe } from "./normalize";
import { stripeEventSchema } from "./schemas";

const TOLERANCE_S = 300;

/**
 * Stripe: verified with the official SDK (constructEventAsync uses Web Crypto on Workers).
 * https://docs.stripe.com/webhooks#verify-official-libraries
 * The SDK rejects only stale timestamps; Tenure also rejects ones more than 5 minutes in the future.
 */
export const stripeSource = defineSource({
  name: "stripe",
  secret: "STRIPE_WEBHOOK_SECRET",
  schema: stripeEventSchema,
  async verify({ rawBody, headers, secret, now }) {
    const header = headers.get("stripe-signature");
    if (!header) throw new SignatureError("missing_signature", "No Stripe-Signature header: is this request from Stripe?");
    const t = /(?:^|,)\s*t=(\d+)/.exec(header)?.[1];
    if (!t) throw new SignatureError("malformed_signature", "Unable to extract a timestamp from the Stripe-Signature header.");
    assertFresh(Number(t) * 1000, now, TOLERANCE_S * 1000);
    try {
      await Stripe.webhooks.constructEventAsync(rawBody, header, secret, TOLERANCE_S, undefined, now);
    } catch (err) {
      // The signature matched but the body is not JSON: that is a 400 for the route's parser, not a forgery.
      if (err instanceof SyntaxError) return;
      // The SDK refuses an empty payload before checking it; check it here so a signed empty body is a 400, an unsigned one a 401.
      if (rawBody === "") {
        const expected = toHex(await hmac("SHA-256", secret, `${t}.`));
        const given = [...header.matchAll(/(?:^|,)\s*v1=([0-9a-f]+)/g)].map((m) => m[1]!);
        if (anyEqual(expected, given)) return;
      }
      const msg = err instanceof Error ? err.message : String(err);
      if (/tolerance/i.test(msg)) throw new SignatureError("stale_timestamp", "Stripe signature timestamp is outside the 5-minute tolerance.");
      if (/expected scheme|extract/i.test(msg)) throw new SignatureError("malformed_signature", "The Stripe-Signature header has no v1 signature.");
      throw new SignatureError(
        "bad_signature",
        "No Stripe signature matches the payload: check STRIPE_WEBHOOK_SECRET and that the raw request body reaches Tenure unchanged.",
      );
    }
  },
  normalize: (ev, raw) => normalizeStripe(ev, raw),
});
