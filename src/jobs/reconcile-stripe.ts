import { loadConfig, type Env } from "../env";
import { reconcileStripe, type ReconcileResult } from "../reconcile";
import type { ReconcileStripeJob } from "./messages";

/** Stripe's event list pages per queue message: each is one fetch, one D1 batch and one queue send. */
export const RECONCILE_PAGES_PER_MESSAGE = 5;

export async function reconcileStripePage(env: Env, job: ReconcileStripeJob): Promise<ReconcileResult & { nextJob: ReconcileStripeJob | null }> {
  const result = await reconcileStripe(
    { db: env.DB, cfg: loadConfig(env), fetch: (input, init) => fetch(input, init), now: () => Date.now(), events: env.EVENTS },
    { asOf: job.asOf, maxPages: RECONCILE_PAGES_PER_MESSAGE, ...(job.startingAfter ? { startingAfter: job.startingAfter } : {}) },
  );
  return { ...result, nextJob: result.next === null ? null : { ...job, startingAfter: result.next } };
}
