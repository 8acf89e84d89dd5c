import { z } from "zod";
import { tenureConfig } from "./config";
import type { ActionMessage, EventMessage, Env } from "./env";
import { loadConfig } from "./env";
import { errorFields, log } from "./log";
import { deliverAll } from "./outbox/run";
import { mergeResults, resolveEvents } from "./pipeline";
import { applyOnShards } from "./shard/route";
import { enqueue, sendJobs } from "./jobs/enqueue";
import { eventMessageSchema } from "./jobs/messages";
import { consumeJobPages, deadLetterJobPages, readJobPage, type JobPage } from "./jobs/run";
import { sendTimelineJobs } from "./jobs/enqueue";
import { markFailed, type InboxRow } from "./store/inbox";
import { carriedRow } from "./store/carried";
import { redriveUnmatched } from "./store/identity";
import { activeTenureConfig } from "./store/model-versions";
import { outboundDeps } from "./plugins/destinations";

export { enqueue };
export { RECOMPUTE_PAGES_PER_MESSAGE } from "./jobs/run";

const actionMessage = z.object({ actionId: z.string().min(1) });

export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const q = batch.queue;
  if (q.endsWith("-dlq")) return q.includes("action") ? deadLetterActions(batch, env) : deadLetterEvents(batch, env);
  if (q.includes("action")) return consumeActions(batch, env);
  return consumeEvents(batch, env);
}

function bodies<T>(batch: MessageBatch<unknown>, schema: z.ZodType<T>): { msg: Message<unknown>; body: T }[] {
  const out: { msg: Message<unknown>; body: T }[] = [];
  for (const msg of batch.messages) {
    const p = schema.safeParse(msg.body);
    if (p.success) out.push({ msg, body: p.data });
    else {
      // A message we can never read would only loop; it carries no data of its own (the inbox has it).
      log("error", "unreadable queue message dropped", { queue: batch.queue, messageId: msg.id });
      msg.ack();
    }
  }
  return out;
}

/**
 * The events queue carries inbox event ids and the pages of the daily jobs (src/jobs/). Pages run one by
 * one, each acked or retried on its own; the events of the batch are applied together.
 */
function splitJobPages(batch: MessageBatch<unknown>): { pages: { msg: Message<unknown>; page: JobPage }[]; rest: Message<unknown>[] } {
  const pages: { msg: Message<unknown>; page: JobPage }[] = [];
  const rest: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    let page: JobPage | null;
    try {
      page = readJobPage(msg.body);
    } catch (err) {
      // A job message we cannot read would only loop; the next daily run starts the job afresh.
      log("error", "unreadable job message dropped", { queue: batch.queue, messageId: msg.id, ...errorFields(err) });
      msg.ack();
      continue;
    }
    if (page) pages.push({ msg, page });
    else rest.push(msg);
  }
  return { pages, rest };
}

async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const { pages, rest } = splitJobPages(batch);
  await consumeJobPages(env, pages);
  if (rest.length === 0) return;
  const msgs = await eventBodies(env, rest);
  const cfg = loadConfig(env);
  const deps = { db: env.DB, cfg: await activeTenureConfig(env.DB, tenureConfig(cfg.TENURE_CONFIG)), now: Date.now(), hubspotCoalesceMs: cfg.HUBSPOT_COALESCE_MS, alertSettleMs: cfg.SLACK_ALERT_SETTLE_MS, holdMs: cfg.SHARD_HOLD_MS, ...outboundDeps(cfg) };
  // Identities resolve here, in order; each customer's events are then applied on its account shard.
  const ids = msgs.flatMap(({ body }) => ("eventId" in body ? [body.eventId] : []));
  const carried = msgs.flatMap(({ msg, body }) => ("delivery" in body ? [{ d: body.delivery, attempts: msg.attempts, direct: body.direct === true }] : []));
  const { result, groups } = await resolveEvents(deps, ids, carried);
  mergeResults(result, await applyOnShards(env.SHARDS, cfg.ACCOUNT_SHARDS, deps, groups));
  const retry = new Set(result.retry);
  for (const { msg, body } of msgs) {
    if (retry.has(eventIdOf(body))) msg.retry({ delaySeconds: 2 });
    else msg.ack();
  }
  await enqueue(env.ACTIONS, result.actionIds.map((actionId) => ({ actionId })));
  await sendTimelineJobs(env, result.timelineJobs);
  try {
    await sendJobs(env.EVENTS, result.erasureIds.map((erasureId) => ({ job: "erase" as const, erasureId })));
  } catch (err) {
    // The erasure is recorded and shows as running (GET /api/erasures/:id); DELETE /api/contacts/:id sends its page again.
    log("error", "erasure jobs could not be sent", { erasureIds: result.erasureIds, ...errorFields(err) });
  }
  const redriven = await redriveUnmatched(env.DB, result.newKeys);
  await enqueue(env.EVENTS, redriven.map((eventId) => ({ eventId })));
}

const eventIdOf = (body: EventMessage): string => ("eventId" in body ? body.eventId : body.delivery.id);

/**
 * The events of a batch. An unreadable message naming an inbox row carries nothing of its own and is dropped; one
 * carrying a delivery holds its only copy, so it is stored as `failed` (its facts as they came) for a re-drive once
 * the cause is fixed (a deploy that changed the event schema while it waited, say).
 */
async function eventBodies(env: Env, messages: readonly Message<unknown>[]): Promise<{ msg: Message<unknown>; body: EventMessage }[]> {
  const out: { msg: Message<unknown>; body: EventMessage }[] = [];
  const unreadable: { msg: Message<unknown>; row: InboxRow }[] = [];
  for (const msg of messages) {
    const p = eventMessageSchema.safeParse(msg.body);
    if (p.success) {
      out.push({ msg, body: p.data });
      continue;
    }
    const row = unreadableCarried(msg);
    if (row) unreadable.push({ msg, row });
    else {
      log("error", "unreadable queue message dropped", { queue: "events", messageId: msg.id });
      msg.ack();
    }
  }
  if (unreadable.length > 0) {
    // Not acked if this fails: the queue keeps the message.
    await markFailed(env.DB, unreadable.map((u) => u.row), "unreadable on the queue: its facts do not match the event schema", Date.now());
    log("error", "carried deliveries unreadable; stored as failed", { count: unreadable.length });
    for (const u of unreadable) u.msg.ack();
  }
  return out;
}

function unreadableCarried(msg: Message<unknown>): InboxRow | null {
  const d = (msg.body as { delivery?: Record<string, unknown> } | null)?.delivery;
  if (!d || typeof d.id !== "string" || d.id === "" || typeof d.source !== "string") return null;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0);
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  const events = (Array.isArray(d.events) ? d.events : []) as InboxRow["events"];
  return carriedRow({ id: d.id, source: d.source, vendorType: text(d.vendorType) ?? "", occurredAt: num(d.occurredAt), receivedAt: num(d.receivedAt), requestId: text(d.requestId), events, payload: text(d.payload) }, msg.attempts);
}

async function consumeActions(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const msgs = bodies(batch, actionMessage);
  const outcome = await deliverAll(env, msgs.map((m) => m.body.actionId));
  // Still pending: the row holds its next attempt time and attempt count. A fresh delayed message carries it
  // (so rate-limiter pauses do not use up the queue's own retry count); the old one is acked only after that send.
  // One follow-up per action, however many messages named it (at-least-once delivery and the sweeper both duplicate).
  const later = [...new Set(msgs.map(({ body }) => body.actionId))].filter((id) => outcome.has(id));
  try {
    if (later.length > 0) {
      await env.ACTIONS.sendBatch(
        later.map((actionId) => ({ body: { actionId }, delaySeconds: Math.min(43_200, Math.max(1, Math.ceil(outcome.get(actionId)! / 1000))) })),
      );
    }
    for (const { msg } of msgs) msg.ack();
  } catch {
    for (const { msg, body } of msgs) if (outcome.has(body.actionId)) msg.retry({ delaySeconds: 30 });
    else msg.ack();
  }
}

async function deadLetterEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const { pages, rest } = splitJobPages(batch);
  await deadLetterJobPages(env, pages);
  const msgs = await eventBodies(env, rest);
  await markFailed(
    env.DB,
    msgs.map(({ msg, body }) => ("eventId" in body ? body.eventId : carriedRow(body.delivery, msg.attempts))),
    "dead-lettered: processing failed on every retry",
    Date.now(),
  );
  if (msgs.length) log("error", "events dead-lettered; POST /api/events/redrive applies them again", { count: msgs.length });
  for (const m of msgs) m.msg.ack();
}

async function deadLetterActions(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const msgs = bodies(batch, actionMessage);
  const stmt = env.DB.prepare(`UPDATE outbox SET status = 'dead', last_error = COALESCE(last_error, 'dead-lettered by the queue'), lease_until = NULL WHERE id = ? AND status = 'pending'`);
  if (msgs.length) await env.DB.batch(msgs.map((m) => stmt.bind(m.body.actionId)));
  log("error", "actions dead-lettered", { count: msgs.length });
  for (const m of msgs) m.msg.ack();
}

export type { ActionMessage, EventMessage };
