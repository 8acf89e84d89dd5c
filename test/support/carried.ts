import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { heldQueues, runQueue } from "./drain";

/**
 * The app with QUEUE_CARRIED_SOURCES on (the deployment's default: Segment) and an events queue the test can read:
 * what a webhook sends is kept in `sent` until `apply` runs it through the real consumer. `refuse` makes the
 * queue throw on send, as Queues does when it is unavailable or over its rate.
 */
export function carriedApp(sources = "segment") {
  const sent: unknown[] = [];
  let refuse = false;
  const metadata = { metrics: { backlogCount: 0, backlogBytes: 0 } };
  // Queues' own limits: 128 KB per message, 100 messages or 256 KB per sendBatch; a send over them throws.
  const size = (body: unknown) => new TextEncoder().encode(JSON.stringify(body)).byteLength;
  const accept = (bodies: unknown[]) => {
    if (refuse) throw new Error("Queue send failed: Too Many Requests");
    if (bodies.length > 100) throw new Error(`Queue sendBatch failed: ${bodies.length} messages (at most 100)`);
    const sizes = bodies.map(size);
    if (sizes.some((b) => b > 128_000)) throw new Error("Queue send failed: message over 128 KB");
    if (sizes.reduce((a, b) => a + b, 0) > 256_000) throw new Error("Queue sendBatch failed: batch over 256 KB");
    sent.push(...bodies);
    return { metadata };
  };
  const queue = {
    metrics: async () => ({ ...metadata.metrics, backlogCount: sent.length }),
    send: async (body: unknown) => accept([body]),
    sendBatch: async (msgs: Iterable<{ body: unknown }>) => accept([...msgs].map((m) => m.body)),
  };
  const overrides = { QUEUE_CARRIED_SOURCES: sources, EVENTS: queue };
  const app = {
    sent,
    overrides,
    refuse(on: boolean) {
      refuse = on;
    },
    async post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
      const ctx = createExecutionContext();
      const res = await worker.fetch!(new Request(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }) as never, { ...env, ...overrides } as never, ctx);
      await waitOnExecutionContext(ctx);
      return res as unknown as Response;
    },
    async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
      const ctx = createExecutionContext();
      const res = await worker.fetch!(new Request(url, { headers }) as never, { ...env, ...overrides } as never, ctx);
      await waitOnExecutionContext(ctx);
      return res as unknown as Response;
    },
    /**
     * Runs what the queue holds through the real consumer, as many rounds as it takes: re-drives send more, and a
     * message the consumer retried (or every message of a batch whose handler threw) goes back on the queue.
     */
    async apply(rounds = 5) {
      const results = [];
      for (let i = 0; i < rounds && sent.length > 0; i++) {
        const bodies = sent.splice(0);
        const result = await runQueue("tenure-events", bodies, overrides);
        results.push(result);
        const retried = result.error ? bodies.map((_, j) => j) : result.retryMessages.map((m) => result.ids.indexOf(m.msgId));
        for (const j of retried) sent.push(bodies[j]);
      }
      return results;
    },
  };
  // drain() applies what this queue holds too, so a suite's helpers can mix carried and stored deliveries.
  heldQueues.add(() => app.apply());
  return app;
}
