import { inboxRow, insertDeliveryStmt } from "../../src/store/inbox";
import { readVerified } from "../verify-only/index";

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
    const now = Date.now();
    const read = await readVerified(req, env.STRIPE_WEBHOOK_SECRET, now);
    if ("refused" in read) return read.refused;
    const { id, type, created } = JSON.parse(read.rawBody) as { id: string; type: string; created: number };
    const row = inboxRow("stripe", { dedupeKey: id, vendorType: type, occurredAt: created * 1000, events: [], raw: read.rawBody }, now, "floor");
    const r = await insertDeliveryStmt(env.DB, row).run();
    return Response.json({ stored: r.meta.changes > 0 });
  },
} satisfies ExportedHandler<Env>;
