import { stripeSource } from "../../webhooks/stripe";
import { SignatureError } from "../../webhooks/signature";

interface Env {
  STRIPE_WEBHOOK_SECRET: string;
}

/**
 * Reads the raw body and verifies its Stripe signature exactly as the ingest route does. Returns the body,
 * or the response that refuses the request.
 */
export async function readVerified(req: Request, secret: string, now: number): Promise<{ rawBody: string } | { refused: Response }> {
  if (req.method !== "POST") return { refused: new Response("POST a signed Stripe event", { status: 405 }) };
  const rawBody = await req.text();
  try {
    await stripeSource.verify({ rawBody, headers: req.headers, method: req.method, url: req.url, now, secret });
  } catch (err) {
    if (err instanceof SignatureError) return { refused: Response.json({ error: { code: "invalid_signature", reason: err.reason } }, { status: 401 }) };
    throw err;
  }
  return { rawBody };
}

/** Verifies and stores nothing: the baseline for accepting a webhook. */
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const read = await readVerified(req, env.STRIPE_WEBHOOK_SECRET, Date.now());
    return "refused" in read ? read.refused : Response.json({ verified: true });
  },
} satisfies ExportedHandler<Env>;
