import { Hono } from "hono";
import { z } from "zod";
import type { Env } from "../env";
import { AppError, notFound } from "../errors";
import { forgetUnlinkStmt, linkIdentityStmt, redriveUnmatched } from "../store/identity";
import { mergedInto } from "../store/merge";
import { connectors } from "../../connectors/registry";
import type { Destination } from "../core/actions";
import { loadConfig } from "../env";
import { gateStub } from "../outbox/gate";
import { enqueue } from "../queues";
import { getAction, replayDeadLetters, requeueAction } from "../store/outbox";
import { loadErasure, readContact, runningErasureOf, type Erasure } from "../store/privacy";
import { newErasureId, prepareErasure } from "../jobs/erase-start";
import { sendJobs } from "../jobs/enqueue";
import { ERASE_STEPS } from "../jobs/erase-steps";
import { requireAdmin } from "./auth";
import { customerView, eventView, outboxView, type CustomerRow } from "./views";

export const admin = new Hono<{ Bindings: Env }>();
admin.use("*", requireAdmin);

const limitSchema = z.coerce.number().int().min(1).max(500).default(100);

const customersQuery = z.object({
  band: z.enum(["green", "yellow", "red"]).optional(),
  stage: z.enum(["awareness", "conversion", "purchase", "onboarding", "renewal", "loyalty", "churned"]).optional(),
  stripeCustomerId: z.string().optional(),
  hubspotCompanyId: z.string().optional(),
  domain: z.string().optional(),
  limit: limitSchema,
  offset: z.coerce.number().int().min(0).default(0),
});

admin.get("/customers", async (c) => {
  const q = customersQuery.parse(c.req.query());
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.band) (where.push("c.band = ?"), args.push(q.band));
  if (q.stage) (where.push("c.stage = ?"), args.push(q.stage));
  if (q.domain) (where.push("c.id IN (SELECT customer_id FROM identities WHERE kind = 'domain' AND value = ?)"), args.push(q.domain.toLowerCase()));
  if (q.stripeCustomerId) (where.push("c.id IN (SELECT customer_id FROM identities WHERE kind = 'stripe' AND value = ?)"), args.push(q.stripeCustomerId));
  if (q.hubspotCompanyId) (where.push("c.id IN (SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value = ?)"), args.push(q.hubspotCompanyId));
  const sql = `SELECT c.* FROM customers c ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY c.score ASC, c.id LIMIT ? OFFSET ?`;
  const { results } = await c.env.DB.prepare(sql).bind(...args, q.limit, q.offset).all<CustomerRow>();
  const idents = await identitiesOf(c.env.DB, results.map((r) => r.id));
  return c.json({ customers: results.map((r) => customerView(r, idents.get(r.id) ?? [])), limit: q.limit, offset: q.offset });
});

admin.get("/customers/:id", async (c) => {
  const id = c.req.param("id");
  const row = await c.env.DB.prepare(`SELECT * FROM customers WHERE id = ?`).bind(id).first<CustomerRow>();
  if (!row) {
    const merged = await mergedInto(c.env.DB, id);
    if (!merged) throw notFound(`Customer ${id}`);
    const location = `/api/customers/${encodeURIComponent(merged.survivorId)}`;
    return c.json({ id, mergedInto: merged.survivorId, mergedAt: new Date(merged.mergedAt).toISOString(), location }, 308, { Location: location });
  }
  const idents = await identitiesOf(c.env.DB, [id]);
  return c.json(customerView(row, idents.get(id) ?? []));
});

const linkSchema = z.object({
  kind: z.enum(["stripe", "hubspot", "segment_group", "account", "domain"]),
  value: z.string().min(1).max(255),
});

/** Links an external id or a domain to a customer, then re-drives the unmatched events waiting for it. */
admin.post("/customers/:id/links", async (c) => {
  const id = c.req.param("id");
  const body = linkSchema.parse(await c.req.json().catch(() => ({})));
  const value = body.kind === "domain" ? body.value.toLowerCase() : body.value;
  const exists = await c.env.DB.prepare(`SELECT 1 FROM customers WHERE id = ?`).bind(id).first();
  if (!exists) throw notFound(`Customer ${id}`);
  const owner = await c.env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = ? AND value = ?`).bind(body.kind, value).first<{ customer_id: string }>();
  if (owner && owner.customer_id !== id) throw new AppError(409, "already_linked", `${body.kind} ${value} already belongs to customer ${owner.customer_id}.`);
  await c.env.DB.batch([linkIdentityStmt(c.env.DB, { kind: body.kind, value }, id, Date.now()), forgetUnlinkStmt(c.env.DB, id, { kind: body.kind, value })]);
  const redriven = await redriveUnmatched(c.env.DB, [{ kind: body.kind, value }]);
  if (redriven.length) await c.env.EVENTS.sendBatch(redriven.map((eventId) => ({ body: { eventId } })));
  return c.json({ linked: { kind: body.kind, value }, redriven: redriven.length }, 201);
});

/**
 * Erases one person's personal data everywhere in Tenure (a paged job: every table, every payload); anonymous
 * facts and scores stay. Answers 202 with the erasure and where to follow it; a second request while it runs
 * answers the same erasure and sends its next page again.
 */
admin.delete("/contacts/:id", async (c) => {
  const id = z.string().min(1).max(512).parse(c.req.param("id"));
  const running = await runningErasureOf(c.env.DB, id);
  if (running) {
    // Its chain may have been lost (a failed send, a dead-lettered page); a duplicate page is harmless.
    await sendJobs(c.env.EVENTS, [{ job: "erase", erasureId: running.id }]);
    return c.json(erasureView(running), 202);
  }
  if (!(await readContact(c.env.DB, id))) throw notFound(`Contact ${id} (ids look like hubspot:123 or segment:user_1)`);
  const erasureId = newErasureId();
  await c.env.DB.batch(await prepareErasure(c.env.DB, id, erasureId, Date.now()));
  await sendJobs(c.env.EVENTS, [{ job: "erase", erasureId }]);
  const started = await loadErasure(c.env.DB, erasureId);
  return c.json(erasureView(started!), 202);
});

admin.get("/erasures/:id", async (c) => {
  const erasure = await loadErasure(c.env.DB, c.req.param("id"));
  if (!erasure) throw notFound(`Erasure ${c.req.param("id")}`);
  return c.json(erasureView(erasure));
});

/** What an erasure shows: never the identifiers it collected. */
function erasureView(e: Erasure) {
  return {
    id: e.id,
    contactId: e.contactId,
    status: e.status,
    step: ERASE_STEPS[e.step]?.name ?? (e.status === "done" ? "done" : "finishing"),
    counts: e.counts,
    startedAt: new Date(e.startedAt).toISOString(),
    finishedAt: e.finishedAt === null ? null : new Date(e.finishedAt).toISOString(),
    statusUrl: `/api/erasures/${e.id}`,
  };
}

const eventsQuery = z.object({
  status: z.enum(["received", "processed", "ignored", "unmatched", "failed"]).optional(),
  source: z.string().optional(),
  limit: limitSchema,
});

admin.get("/events", async (c) => {
  const q = eventsQuery.parse(c.req.query());
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.status) (where.push("status = ?"), args.push(q.status));
  if (q.source) (where.push("source = ?"), args.push(q.source));
  const inbox = `SELECT id, source, vendor_type, status, occurred_at, received_at, processed_at, attempts, customer_id, reason FROM inbox_events
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY received_at DESC LIMIT ?`;
  // Applied carried deliveries are kept as ids (migrations/0028_applied_deliveries.sql): listed as processed.
  const applied =
    q.status === undefined || q.status === "processed"
      ? `SELECT id, source, vendor_type, 'processed' AS status, occurred_at, received_at, applied_at AS processed_at, NULL AS attempts, customer_id, NULL AS reason
         FROM applied_deliveries ${q.source ? "WHERE source = ?" : ""} ORDER BY received_at DESC LIMIT ?`
      : null;
  const sql = applied ? `SELECT * FROM (${inbox}) UNION ALL SELECT * FROM (${applied}) ORDER BY received_at DESC LIMIT ?` : inbox;
  const bind = applied ? [...args, q.limit, ...(q.source ? [q.source] : []), q.limit, q.limit] : [...args, q.limit];
  const { results } = await c.env.DB.prepare(sql)
    .bind(...bind)
    .all();
  return c.json({ events: results.map(eventView) });
});

admin.get("/unmatched", async (c) => {
  const limit = limitSchema.parse(c.req.query("limit"));
  const { results } = await c.env.DB.prepare(
    `SELECT e.id, e.source, e.vendor_type, e.status, e.occurred_at, e.received_at, e.processed_at, e.attempts, e.customer_id, e.reason,
       (SELECT json_group_array(k.kind || ':' || k.value) FROM unmatched_keys k WHERE k.event_id = e.id) AS keys
     FROM inbox_events e WHERE e.status = 'unmatched' ORDER BY e.received_at DESC LIMIT ?`,
  )
    .bind(limit)
    .all<Record<string, unknown>>();
  return c.json({ events: results.map((r) => ({ ...eventView(r), waitingFor: JSON.parse(String(r.keys ?? "[]")) })) });
});

const actionsQuery = z.object({
  status: z.enum(["pending", "delivered", "skipped", "failed", "dead"]).optional(),
  type: z.string().optional(),
  destination: z.enum(["hubspot", "slack", "stripe"]).optional(),
  customerId: z.string().optional(),
  limit: limitSchema,
});

admin.get("/actions", async (c) => {
  const q = actionsQuery.parse(c.req.query());
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.status) (where.push("status = ?"), args.push(q.status));
  if (q.type) (where.push("type = ?"), args.push(q.type));
  if (q.destination) (where.push("destination = ?"), args.push(q.destination));
  if (q.customerId) (where.push("customer_id = ?"), args.push(q.customerId));
  const { results } = await c.env.DB.prepare(`SELECT * FROM outbox ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC LIMIT ?`)
    .bind(...args, q.limit)
    .all();
  return c.json({ actions: results.map(outboxView) });
});

admin.post("/actions/:id/retry", async (c) => {
  const id = c.req.param("id");
  const action = await getAction(c.env.DB, id);
  if (!action) throw notFound(`Action ${id}`);
  if (action.status === "delivered") throw new AppError(409, "already_delivered", "This action was delivered; it is never sent twice.");
  if (action.status === "pending") return c.json({ id, status: "pending", queued: true }, 202);
  await requeueAction(c.env.DB, id, Date.now());
  await c.env.ACTIONS.send({ actionId: id });
  return c.json({ id, status: "pending", queued: true }, 202);
});

const replaySchema = z.object({
  from: z.number().int().nonnegative().optional(),
  to: z.number().int().nonnegative().optional(),
  destination: z.enum(["hubspot", "slack", "stripe"]).optional(),
  status: z.enum(["failed", "dead"]).optional(),
});

/** Replays dead letters by time range and destination; a delivered action is never sent twice. */
admin.post("/actions/replay", async (c) => {
  const f = replaySchema.parse(await c.req.json().catch(() => ({})));
  const ids = await replayDeadLetters(c.env.DB, f, Date.now());
  await enqueue(c.env.ACTIONS, ids.map((actionId) => ({ actionId })));
  return c.json({ replayed: ids.length, ids }, 202);
});

/** Each destination: whether it is configured, and its rate limiter / circuit breaker state. */
admin.get("/destinations", async (c) => {
  const cfg = loadConfig(c.env);
  const out: Record<string, unknown> = {};
  for (const [name, conn] of Object.entries(connectors)) {
    const stub = gateStub(c.env, name as Destination);
    out[name] = { enabled: conn.disabledReason(cfg) === null, disabledReason: conn.disabledReason(cfg), breaker: stub ? await stub.status() : null };
  }
  return c.json({ destinations: out });
});

async function identitiesOf(db: D1Database, ids: string[]): Promise<Map<string, { kind: string; value: string }[]>> {
  const out = new Map<string, { kind: string; value: string }[]>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT customer_id, kind, value FROM identities WHERE customer_id IN (${chunk.map(() => "?").join(",")}) ORDER BY created_at`)
      .bind(...chunk)
      .all<{ customer_id: string; kind: string; value: string }>();
    for (const r of results) out.set(r.customer_id, [...(out.get(r.customer_id) ?? []), { kind: r.kind, value: r.value }]);
  }
  return out;
}
