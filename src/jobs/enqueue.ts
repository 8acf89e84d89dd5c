import type { Env, EventMessage } from "../env";
import type { TimelineJob } from "../pipeline";
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

/** The older parts of timelines that steps left: each becomes its own chain of pages. */
export async function sendTimelineJobs(env: Pick<Env, "EVENTS">, jobs: TimelineJob[]): Promise<void> {
  if (jobs.length === 0) return;
  try {
    await sendJobs(env.EVENTS, jobs.map((j) => ({ job: "timeline" as const, ...j })));
  } catch (err) {
    // The scores and the recent timeline are committed, and so is the record of these days (src/store/timeline-due.ts):
    // the sweeper sends them again.
    log("warn", "timeline jobs could not be sent", { count: jobs.length, ...errorFields(err) });
  }
}
