import { stripeSource } from "../../webhooks/stripe";
import { SignatureError } from "../../webhooks/signature";

interface Env {
  STRIPE_WEBHOOK_SECRET: string;
}

/** Reads the raw body and verifies its Stripe signature exactly as the ingest route does; stores nothing. */
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    if (req.method !== "POST") return new Response("POST a signed Stripe event", { status: 405 });
    const rawBody = await req.text();
    try {
      await stripeSource.verify({ rawBody, headers: req.headers, method: req.method, url: req.url, now: Date.now(), secret: env.STRIPE_WEBHOOK_SECRET });
    } catch (err) {
      if (err instanceof SignatureError) return Response.json({ error: { code: "invalid_signature", reason: err.reason } }, { status: 401 });
      throw err;
    }
    return Response.json({ verified: true });
  },
} satisfies ExportedHandler<Env>;
