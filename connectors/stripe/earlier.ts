import type Stripe from "stripe";
import type { ActionPayload } from "../../src/core/actions";
import type { OutboxAction } from "../connector";

/**
 * Stripe may prune an Idempotency-Key once it is 24 hours old, and then runs a reused key as a new request
 * (https://docs.stripe.com/api/idempotent_requests). An hour short of that leaves room for clock skew.
 */
export const IDEMPOTENCY_WINDOW_MS = 23 * 3_600_000;

/** The metadata key every object Tenure creates or changes at Stripe carries: the outbox action id. */
export const ACTION_ID_KEY = "tenure_action_id";

/** Stripe lists at most 100 per page (https://docs.stripe.com/api/pagination). */
const PAGE_LIMIT = 100;
/** Stripe's clock and ours may disagree a little; an effect is looked for from this long before the action. */
const CLOCK_SKEW_S = 300;

/**
 * Whether an earlier attempt may have acted and its key may already be pruned: only then is the effect looked
 * up before acting. Within the window the Idempotency-Key alone makes the retry safe.
 */
export function mustLookUp(a: OutboxAction, now: number): boolean {
  const maybeActed = a.unconfirmed === true || a.attempts > 0;
  return maybeActed && a.createdAt !== undefined && now - a.createdAt >= IDEMPOTENCY_WINDOW_MS;
}

/** The id of what an earlier attempt of this action created at Stripe, or null when it made nothing. */
export async function findEarlierEffect(stripe: Stripe, a: OutboxAction): Promise<string | null> {
  const p = a.payload;
  const since = Math.floor((a.createdAt ?? 0) / 1000) - CLOCK_SKEW_S;
  switch (p.type) {
    case "stripe.credit":
      return findBalanceTransaction(stripe, p.stripeCustomerId, a.id, since);
    case "stripe.subscription_discount": {
      // https://docs.stripe.com/api/subscriptions/retrieve
      const sub = await stripe.subscriptions.retrieve(p.subscriptionId);
      return sub.metadata?.[ACTION_ID_KEY] === a.id ? sub.id : null;
    }
    case "stripe.promotion_code":
      return findPromotionCode(stripe, p, a.id);
    default:
      return null;
  }
}

/** Newest first, page by page, back to the action's creation. */
async function findBalanceTransaction(stripe: Stripe, customer: string, actionId: string, since: number): Promise<string | null> {
  let startingAfter: string | undefined;
  for (;;) {
    // https://docs.stripe.com/api/customer_balance_transactions/list
    const page = await stripe.customers.listBalanceTransactions(customer, {
      limit: PAGE_LIMIT,
      created: { gte: since },
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    });
    const hit = page.data.find((t) => t.metadata?.[ACTION_ID_KEY] === actionId);
    if (hit) return hit.id;
    const last = page.data.at(-1);
    if (!page.has_more || !last) return null;
    startingAfter = last.id;
  }
}

async function findPromotionCode(stripe: Stripe, p: Extract<ActionPayload, { type: "stripe.promotion_code" }>, actionId: string): Promise<string | null> {
  let startingAfter: string | undefined;
  for (;;) {
    // https://docs.stripe.com/api/promotion_codes/list
    const page = await stripe.promotionCodes.list({
      code: p.code,
      limit: PAGE_LIMIT,
      ...(p.stripeCustomerId ? { customer: p.stripeCustomerId } : {}),
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    });
    const hit = page.data.find((c) => c.metadata?.[ACTION_ID_KEY] === actionId);
    if (hit) return hit.id;
    const last = page.data.at(-1);
    if (!page.has_more || !last) return null;
    startingAfter = last.id;
  }
}
