import Stripe from "stripe";
import type { Config } from "../src/env";
import { isTransient, type Connector, type ConnectorDeps, type DeliveryOutcome, type OutboxAction } from "./connector";
import { ACTION_ID_KEY, findEarlierEffect, mustLookUp } from "./stripe/earlier";

/** Stripe rarely sends Retry-After on 429; one second is the first step of its advised backoff. */
const RATE_LIMIT_BACKOFF_MS = 1_000;

/** The official SDK over the given fetch, pointed at STRIPE_API_BASE. Retries are the outbox's job. */
export function stripeClient(deps: ConnectorDeps): Stripe {
  const base = new URL(deps.cfg.STRIPE_API_BASE);
  const protocol = base.protocol === "http:" ? "http" : "https";
  return new Stripe(deps.cfg.STRIPE_SECRET_KEY ?? "", {
    httpClient: Stripe.createFetchHttpClient((input, init) => deps.fetch(input, init)),
    host: base.hostname,
    port: base.port || (protocol === "http" ? 80 : 443),
    protocol,
    maxNetworkRetries: 0,
    // The outbox's fetch has its own, shorter timeout per call; this is only a backstop.
    timeout: 20_000,
    telemetry: false,
  });
}

/**
 * Every call carries the action id as its Idempotency-Key, so a retried action cannot act twice while Stripe
 * keeps the key; every object it creates or changes carries the id in its metadata, so a retry after the key
 * may have been pruned finds the earlier effect instead (./stripe/earlier.ts).
 */
async function send(stripe: Stripe, a: OutboxAction): Promise<string> {
  const key = { idempotencyKey: a.id };
  const p = withActionId(a);
  switch (p.type) {
    case "stripe.credit":
      // https://docs.stripe.com/api/customer_balance_transactions/create
      return (
        await stripe.customers.createBalanceTransaction(
          p.stripeCustomerId,
          { amount: p.amount, currency: p.currency, description: p.description, metadata: p.metadata },
          key,
        )
      ).id;
    case "stripe.subscription_discount":
      // https://docs.stripe.com/api/subscriptions/update (discounts replaced the top-level coupon in basil)
      return (await stripe.subscriptions.update(p.subscriptionId, { discounts: [{ coupon: p.coupon }], metadata: p.metadata }, key)).id;
    case "stripe.promotion_code":
      // https://docs.stripe.com/api/promotion_codes/create (promotion{} replaced coupon in clover)
      return (
        await stripe.promotionCodes.create(
          {
            promotion: { type: "coupon", coupon: p.coupon },
            code: p.code,
            ...(p.stripeCustomerId ? { customer: p.stripeCustomerId } : {}),
            restrictions: { first_time_transaction: true },
            metadata: p.metadata,
          },
          key,
        )
      ).id;
    default:
      throw new UnsupportedAction(p.type);
  }
}

function withActionId(a: OutboxAction): OutboxAction["payload"] {
  const p = a.payload;
  return "metadata" in p && p.type.startsWith("stripe.") ? { ...p, metadata: { ...p.metadata, [ACTION_ID_KEY]: a.id } } : p;
}

/** Looks the earlier effect up when the key may be gone, then acts only if there was none. */
async function deliverOne(stripe: Stripe, a: OutboxAction, now: number): Promise<DeliveryOutcome> {
  if (mustLookUp(a, now)) {
    const earlier = await findEarlierEffect(stripe, a);
    if (earlier) return { id: a.id, status: "delivered", result: earlier };
  }
  return { id: a.id, status: "delivered", result: await send(stripe, a) };
}

class UnsupportedAction extends Error {
  constructor(type: string) {
    super(`Stripe cannot deliver ${type}`);
  }
}

/** 429, 409 (the same key still in flight), 5xx and connection errors retry; any other 4xx is final. */
export function classifyStripeError(id: string, err: unknown): DeliveryOutcome {
  if (err instanceof UnsupportedAction) return { id, status: "permanent", error: err.message };
  if (!(err instanceof Stripe.errors.StripeError)) {
    return { id, status: "retry", error: `Stripe call failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const status = err.statusCode;
  const error = `Stripe ${status ?? "connection"} ${err.rawType ?? err.type}${err.code ? `/${err.code}` : ""}: ${err.message}`;
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    const after = Number(err.headers?.["retry-after"]);
    const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : RATE_LIMIT_BACKOFF_MS;
    return { id, status: "retry", error, retryAfterMs, ...(status ? { httpStatus: status } : {}) };
  }
  if (status === undefined) return { id, status: "retry", error };
  return isTransient(status)
    ? { id, status: "retry", error, httpStatus: status }
    : { id, status: "permanent", error, httpStatus: status };
}

/** Stripe: credits, subscription discounts and promotion codes, one idempotent call each. */
export const stripeConnector: Connector = {
  destination: "stripe",
  maxBatch: 1,
  disabledReason(cfg: Config) {
    return cfg.STRIPE_SECRET_KEY ? null : "STRIPE_SECRET_KEY is not set";
  },
  async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
    const stripe = stripeClient(deps);
    const outcomes: DeliveryOutcome[] = [];
    let limited: DeliveryOutcome | undefined;
    for (const a of actions) {
      if (limited?.status === "retry") {
        outcomes.push({ ...limited, id: a.id, error: `not sent: ${limited.error}` });
        continue;
      }
      try {
        outcomes.push(await deliverOne(stripe, a, deps.now()));
      } catch (err) {
        const outcome = classifyStripeError(a.id, err);
        if (outcome.status === "retry" && outcome.httpStatus === 429) limited = outcome;
        outcomes.push(outcome);
      }
    }
    return outcomes;
  },
};
