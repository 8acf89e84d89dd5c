import { z } from "zod";
import { tenureConfig } from "./config";
import type { ActionMessage, EventMessage, Env } from "./env";
import { loadConfig } from "./env";
import { errorFields, log } from "./log";
import { deliverAll } from "./outbox/run";
import { processEvents } from "./pipeline";
import { recomputePages } from "./recompute";
import { markFailed } from "./store/inbox";
import { redriveUnmatched } from "./store/identity";

const eventMessage = z.object({ eventId: z.string().min(1) });
/**
 * The daily recompute walks customers one page per message: each step has its own CPU budget, and a
 * step that fails costs one page of progress, not the day's.
 */
const recomputeMessage = z.object({ recomputeAfter: z.string(), asOf: z.number().int() });
export const RECOMPUTE_PAGES_PER_MESSAGE = 1;
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

async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const jobs = batch.messages.filter((m) => recomputeMessage.safeParse(m.body).success);
  for (const job of jobs) {
    const { recomputeAfter, asOf } = recomputeMessage.parse(job.body);
    const cfg = loadConfig(env);
    const { next } = await recomputePages(env, tenureConfig(cfg.TENURE_CONFIG), asOf, { after: recomputeAfter, maxPages: RECOMPUTE_PAGES_PER_MESSAGE });
    if (next !== null) await env.EVENTS.send({ recomputeAfter: next, asOf } as never);
    job.ack();
  }
  if (jobs.length === batch.messages.length) return;
  const msgs = bodies({ ...batch, messages: batch.messages.filter((m) => !jobs.includes(m)) } as MessageBatch<unknown>, eventMessage);
  const cfg = loadConfig(env);
  const result = await processEvents(
    { db: env.DB, cfg: tenureConfig(cfg.TENURE_CONFIG), now: Date.now(), hubspotCoalesceMs: cfg.HUBSPOT_COALESCE_MS },
    msgs.map((m) => m.body.eventId),
  );
  const retry = new Set(result.retry);
  for (const { msg, body } of msgs) {
    if (retry.has(body.eventId)) msg.retry({ delaySeconds: 2 });
    else msg.ack();
  }
  await enqueue(env.ACTIONS, result.actionIds.map((actionId) => ({ actionId })));
  const redriven = await redriveUnmatched(env.DB, result.newKeys);
  await enqueue(env.EVENTS, redriven.map((eventId) => ({ eventId })));
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
  const jobs = batch.messages.filter((m) => recomputeMessage.safeParse(m.body).success);
  for (const job of jobs) {
    log("error", "a daily recompute step failed on every retry; the rest of today's pass is skipped and the next daily run starts over", {
      after: (job.body as { recomputeAfter: string }).recomputeAfter,
    });
    job.ack();
  }
  const msgs = bodies({ ...batch, messages: batch.messages.filter((m) => !jobs.includes(m)) } as MessageBatch<unknown>, eventMessage);
  await markFailed(env.DB, msgs.map((m) => m.body.eventId), "dead-lettered: processing failed on every retry", Date.now());
  log("error", "events dead-lettered", { count: msgs.length });
  for (const m of msgs) m.msg.ack();
}

async function deadLetterActions(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const msgs = bodies(batch, actionMessage);
  const stmt = env.DB.prepare(`UPDATE outbox SET status = 'dead', last_error = COALESCE(last_error, 'dead-lettered by the queue'), lease_until = NULL WHERE id = ? AND status = 'pending'`);
  if (msgs.length) await env.DB.batch(msgs.map((m) => stmt.bind(m.body.actionId)));
  log("error", "actions dead-lettered", { count: msgs.length });
  for (const m of msgs) m.msg.ack();
}

export async function enqueue<T>(queue: Queue<T>, bodies: T[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 100) {
    try {
      await queue.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body })));
    } catch (err) {
      log("warn", "enqueue failed; the sweeper will pick these up", { count: bodies.length, ...errorFields(err) });
    }
  }
}

export type { ActionMessage, EventMessage };
