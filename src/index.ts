import { app } from "./app";
import { handleScheduled } from "./cron";
import type { Env } from "./env";
import { handleQueue } from "./queues";

export { DeliveryGate } from "./outbox/gate";

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (controller, env, ctx) => ctx.waitUntil(handleScheduled(controller, env)),
} satisfies ExportedHandler<Env>;
