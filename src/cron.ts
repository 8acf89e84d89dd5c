import { tenureConfig } from "./config";
import { loadConfig, type Env } from "./env";
import { errorFields, log } from "./log";
import { enqueue } from "./queues";
import { overdueActions } from "./store/outbox";
import { pruneRawPayloads, staleReceived } from "./store/inbox";
import { runLoyaltyDaily } from "./rewards/daily";
import { reconcileStripe } from "./reconcile";

export const SWEEP_AFTER_MS = 2 * 60_000;
export const MAX_EVENT_ATTEMPTS = 10;

/** Every few minutes: anything committed but not applied (a lost enqueue) and overdue actions go back on their queues. */
export async function sweep(env: Env, now: number): Promise<{ events: number; actions: number }> {
  const events = await staleReceived(env.DB, now, SWEEP_AFTER_MS, MAX_EVENT_ATTEMPTS);
  await enqueue(env.EVENTS, events.map((eventId) => ({ eventId })));
  const actions = await overdueActions(env.DB, now, 60_000);
  await enqueue(env.ACTIONS, actions.map((actionId) => ({ actionId })));
  if (events.length || actions.length) log("info", "sweeper re-enqueued work", { events: events.length, actions: actions.length });
  return { events: events.length, actions: actions.length };
}

/** Daily: time-dependent scores, Stripe reconciliation, and the raw-payload retention. */
export async function daily(env: Env, now: number): Promise<void> {
  const cfg = loadConfig(env);
  const pruned = await pruneRawPayloads(env.DB, now, cfg.RAW_PAYLOAD_RETENTION_DAYS);
  // Reconciliation (src/reconcile.ts): Stripe events of the last days that never arrived as webhooks.
  const reconciled = await reconcileStripe({ db: env.DB, cfg, fetch: (input, init) => fetch(input, init), now: () => now, events: env.EVENTS }).catch(
    (err: unknown) => (log("warn", "Stripe reconciliation failed; it runs again tomorrow", errorFields(err)), null),
  );
  // The recompute walks every customer through the events queue, a few pages per message (CPU limits).
  await env.EVENTS.send({ recomputeAfter: "", asOf: now } as never);
  // Loyalty (src/rewards/daily.ts): referral rewards past their hold, occasions, first-renewal offers.
  const loyalty = await runLoyaltyDaily(env, tenureConfig(cfg.TENURE_CONFIG), now).catch(
    (err: unknown) => (log("error", "loyalty daily run failed; it runs again tomorrow", errorFields(err)), null),
  );
  log("info", "daily run", { pruned, recompute: "started", reconciled: reconciled?.recovered ?? null, loyaltyPaid: loyalty?.paid ?? null });
}

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime || Date.now();
  if (controller.cron.startsWith("*/")) await sweep(env, now);
  else await daily(env, now);
}
