import { Hono } from "hono";
import { z } from "zod";
import type { Env } from "../env";
import { loadConfig } from "../env";
import { AppError, badRequest, notFound } from "../errors";
import { tenureConfig } from "../config";
import { mergeCustomers, type MergeOutcome } from "../jobs/merge";
import { sendTimelineJobs } from "../jobs/enqueue";
import { scoreStep } from "../pipeline";
import { enqueue } from "../queues";
import { listConflicts, unlinkStmts, type IdentityKey } from "../store/identity";
import { activeTenureConfig } from "../store/model-versions";
import { requireAdmin } from "./auth";
import { mergeBodySchema, unlinkKindSchema } from "./customers-merge-schemas";
import { customerView, type CustomerRow } from "./views";

/** Identity repair: merge two customers, unlink a key, and the explicit ids that were refused. */
export const customersMerge = new Hono<{ Bindings: Env }>();
customersMerge.use("*", requireAdmin);


/**
 * Merges `from` into `:id`: 200 with the surviving customer (and what moved). Merging again answers the same
 * survivor; merging a customer into itself, into a merged id, or a merged id into another is 409.
 */
customersMerge.post("/customers/:id/merge", async (c) => {
  const id = c.req.param("id");
  const parsed = mergeBodySchema.safeParse(await c.req.json().catch(() => null));
  if (!parsed.success) throw badRequest("Body must be { \"from\": \"<customer id>\" }.", { issues: parsed.error.issues.map((i) => i.message) });
  const from = parsed.data.from;
  for (const x of new Set([id, from])) {
    const exists = await c.env.DB.prepare(`SELECT 1 AS x FROM customers WHERE id = ?1 UNION ALL SELECT 1 FROM customer_merges WHERE loser_id = ?1 LIMIT 1`).bind(x).first();
    if (!exists) throw notFound(`Customer ${x}`);
  }
  const cfg = loadConfig(c.env);
  const deps = {
    db: c.env.DB,
    cfg: await activeTenureConfig(c.env.DB, tenureConfig(cfg.TENURE_CONFIG)),
    now: Date.now(),
    hubspotCoalesceMs: cfg.HUBSPOT_COALESCE_MS,
    alertSettleMs: cfg.SLACK_ALERT_SETTLE_MS,
  };
  const outcome = await mergeCustomers(deps, scoreStep, { survivorId: id, loserId: from, via: "admin" });
  if (outcome.status === "refused") throw refusal(outcome);
  if (outcome.status === "merged") {
    await enqueue(c.env.ACTIONS, outcome.actionIds.map((actionId) => ({ actionId })));
    if (outcome.timelineJob) await sendTimelineJobs(c.env, [outcome.timelineJob]);
  }
  const view = await survivorView(c.env.DB, outcome.survivorId);
  return c.json({
    ...view,
    merge: {
      from,
      into: outcome.survivorId,
      alreadyMerged: outcome.status === "already_merged",
      moved: outcome.status === "merged" ? outcome.moved : null,
    },
  });
});

function refusal(o: Extract<MergeOutcome, { status: "refused" }>): AppError {
  if (o.code === "not_found") return new AppError(404, "not_found", o.message);
  return new AppError(409, o.code, o.message, o.survivorId ? { mergedInto: o.survivorId } : {});
}

async function survivorView(db: D1Database, id: string) {
  const [row, idents] = await db.batch<CustomerRow | { kind: string; value: string }>([
    db.prepare(`SELECT * FROM customers WHERE id = ?`).bind(id),
    db.prepare(`SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY created_at`).bind(id),
  ]);
  const r = row!.results[0] as CustomerRow | undefined;
  if (!r) throw notFound(`Customer ${id}`);
  return customerView(r, idents!.results as { kind: string; value: string }[]);
}

/**
 * Unlinks one key from a customer for good: it no longer resolves there, and the pipeline never links it back
 * by itself (a later event with it is unmatched, or creates a customer of its own where its source may).
 * `segment_group` and `account` are one key space: unlinking one unlinks the other with the same value.
 */
customersMerge.delete("/customers/:id/links/:kind/:value", async (c) => {
  const id = c.req.param("id");
  const kind = unlinkKindSchema.safeParse(c.req.param("kind"));
  if (!kind.success) throw badRequest(`kind must be one of ${unlinkKindSchema.options.join(", ")}.`);
  const raw = z.string().min(1).max(255).safeParse(c.req.param("value"));
  if (!raw.success) throw badRequest("value must be 1 to 255 characters.");
  const value = kind.data === "domain" ? raw.data.toLowerCase() : raw.data;
  const exists = await c.env.DB.prepare(`SELECT 1 AS x FROM customers WHERE id = ?`).bind(id).first();
  if (!exists) throw notFound(`Customer ${id}`);
  const space = kind.data === "segment_group" || kind.data === "account" ? (["segment_group", "account"] as const) : [kind.data];
  const { results } = await c.env.DB.prepare(`SELECT kind FROM identities WHERE customer_id = ? AND value = ? AND kind IN (SELECT value FROM json_each(?))`)
    .bind(id, value, JSON.stringify(space))
    .all<{ kind: IdentityKey["kind"] }>();
  if (!results.some((r) => r.kind === kind.data)) throw notFound(`Link ${kind.data}:${value} of customer ${id}`);
  const now = Date.now();
  await c.env.DB.batch(results.flatMap((r) => unlinkStmts(c.env.DB, id, { kind: r.kind, value }, now)));
  return c.json({ customerId: id, unlinked: results.map((r) => ({ kind: r.kind, value })) });
});

const conflictsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** Events refused because their explicit ids contradict each other: what to merge, link or unlink by hand. */
customersMerge.get("/identity-conflicts", async (c) => {
  const q = conflictsQuery.safeParse(c.req.query());
  if (!q.success) throw badRequest("limit must be an integer from 1 to 500.");
  const rows = await listConflicts(c.env.DB, q.data.limit);
  return c.json({ conflicts: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) });
});
