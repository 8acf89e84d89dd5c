import { SignatureError } from "../../webhooks/signature";
import { stripeSource } from "../../webhooks/stripe";
import { insertDeliveryStmt } from "../../src/store/inbox";

interface Env {
  DB: D1Database;
  STRIPE_WEBHOOK_SECRET: string;
}

/**
 * The least a durable accept can cost: the verify-only worker plus the app's own inbox insert (same
 * statement, same migrated table) and nothing else: no router, schema, normalization, queue or consumer.
 */
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    if (req.method !== "POST") return new Response("POST a signed Stripe event", { status: 405 });
    const rawBody = await req.text();
    const now = Date.now();
    try {
      await stripeSource.verify({ rawBody, headers: req.headers, method: req.method, url: req.url, now, secret: env.STRIPE_WEBHOOK_SECRET });
    } catch (err) {
      if (err instanceof SignatureError) return Response.json({ error: { code: "invalid_signature", reason: err.reason } }, { status: 401 });
      throw err;
    }
    const { id, type, created } = JSON.parse(rawBody) as { id: string; type: string; created: number };
    const row = { id: `stripe:${id}`, source: "stripe", vendorType: type, status: "received" as const, occurredAt: created * 1000, receivedAt: now, requestId: "floor", reason: null, events: [], payload: rawBody };
    const r = await insertDeliveryStmt(env.DB, row).run();
    return Response.json({ stored: r.meta.changes > 0 });
  },
} satisfies ExportedHandler<Env>;
