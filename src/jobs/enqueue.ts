import type { EventMessage } from "../env";
import { errorFields, log } from "../log";
import type { EventsQueueMessage } from "./messages";

/** Sends in batches of 100 (the Queues limit); a failed send is only logged: the sweeper re-enqueues from D1. */
export async function enqueue<T>(queue: Queue<T>, bodies: T[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 100) {
    try {
      await queue.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body })));
    } catch (err) {
      log("warn", "enqueue failed; the sweeper will pick these up", { count: bodies.length, ...errorFields(err) });
    }
  }
}

/**
 * The events queue also carries job pages. The binding is typed for event messages only (src/env.ts), so the
 * widening happens here, once. Unlike `enqueue`, a failed send throws: nothing in D1 would recover a job page.
 */
export async function sendJobs(queue: Queue<EventMessage>, bodies: EventsQueueMessage[]): Promise<void> {
  if (bodies.length === 0) return;
  await (queue as unknown as Queue<EventsQueueMessage>).sendBatch(bodies.map((body) => ({ body })));
}
