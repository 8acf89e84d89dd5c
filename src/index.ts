import { app } from "./app";
import { handleScheduled } from "./cron";
import { loadConfig, secretValues, type Env } from "./env";
import { configureLog } from "./log";
import { handleQueue } from "./queues";

export { DeliveryGate } from "./outbox/gate";
export { AccountShard } from "./shard/account-shard";

/** Queue and cron runs scrub secrets and honour LOG_LEVEL like requests do (the app's middleware does it there). */
function configureLogs(env: Env): void {
  try {
    const cfg = loadConfig(env);
    configureLog({ secrets: secretValues(cfg), level: cfg.LOG_LEVEL });
  } catch {
    // An invalid configuration fails the handler itself, with its own error.
  }
}

export default {
  fetch: app.fetch,
  queue: (batch, env) => {
    configureLogs(env);
    return handleQueue(batch, env);
  },
  scheduled: (controller, env, ctx) => {
    configureLogs(env);
    ctx.waitUntil(handleScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;
