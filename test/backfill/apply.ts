import { env } from "cloudflare:test";
import type { EventMessage } from "../../src/env";
import { runQueue } from "../support/drain";

/**
 * Runs the real events consumer until no inbox row is waiting. Outbound actions are left in the
 * outbox: these tests are about what comes in (drain() would also pace every Slack alert).
 */
export async function applyReceived(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' LIMIT 100`).all<{ id: string }>();
    if (results.length === 0) return;
    await runQueue("tenure-events", results.map((r) => ({ eventId: r.id })));
  }
  throw new Error(`events still waiting after ${rounds} rounds`);
}

/** An events queue that records what was sent instead of delivering it (the tests apply events themselves). */
export function recordingQueue(): Queue<EventMessage> & { sent: string[] } {
  const sent: string[] = [];
  const metadata = { metrics: { backlogCount: 0, backlogBytes: 0 } };
  return {
    sent,
    metrics: async () => metadata.metrics,
    send: async (m) => (sent.push("eventId" in m ? m.eventId : m.delivery.id), { metadata }),
    sendBatch: async (ms) => {
      for (const m of ms) sent.push("eventId" in m.body ? m.body.eventId : m.body.delivery.id);
      return { metadata };
    },
  };
}
