import Stripe from "stripe";

export const STRIPE_TEST_SECRET = "whsec_test_secret";

/** Stripe's own test helper: the same algorithm Stripe uses to sign deliveries. */
export async function signStripe(payload: string, opts: { now?: number; secret?: string } = {}): Promise<Record<string, string>> {
  const header = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? STRIPE_TEST_SECRET,
    timestamp: Math.floor((opts.now ?? Date.now()) / 1000),
  });
  return { "stripe-signature": header };
}
