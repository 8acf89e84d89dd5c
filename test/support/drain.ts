import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";

let seq = 0;

/** Runs the real queue handler on a batch, the way the Queues runtime would. */
export async function runQueue(queue: string, bodies: unknown[], overrides: Record<string, unknown> = {}) {
  const ids = bodies.map(() => `msg-${++seq}`);
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: ids[i]!, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  let error: unknown;
  try {
    await worker.queue!(batch as MessageBatch<never>, { ...env, ...overrides } as never);
  } catch (err) {
    // The runtime retries every message of a batch whose handler throws.
    error = err;
  }
  return { ...(await getQueueResult(batch, ctx)), error, ids };
}

/** Queues a test holds outside the runtime (test/support/carried.ts): drain() runs what they hold first. */
export const heldQueues = new Set<() => Promise<unknown>>();

/**
 * Applies every received event and delivers every due action, through the real consumers, until
 * nothing is left (or `rounds` is spent). Deterministic, unlike waiting for the local queue.
 */
export async function drain(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (const apply of heldQueues) await apply();
    const events = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' LIMIT 100`).all<{ id: string }>();
    const actions = await env.DB.prepare(
      `SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) LIMIT 100`,
    )
      .bind(Date.now(), Date.now())
      .all<{ id: string }>();
    if (events.results.length === 0 && actions.results.length === 0) return;
    if (events.results.length) await runQueue("tenure-events", events.results.map((r) => ({ eventId: r.id })));
    if (actions.results.length) await runQueue("tenure-actions", actions.results.map((r) => ({ actionId: r.id })));
  }
}

export const ADMIN = { authorization: "Bearer test-admin-token-0123456789" };
