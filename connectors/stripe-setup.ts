import type Stripe from "stripe";
import type { ConnectorDeps } from "./connector";
import { stripeClient } from "./stripe";

export interface CouponSpec {
  id: string;
  name: string;
  percentOff: number;
  duration: "once" | "repeating" | "forever";
}

export interface CouponSetupResult {
  id: string;
  status: "created" | "exists" | "error";
  detail?: string;
}

/**
 * Creates the coupons the loyalty program refers to (the referral friend's discount, the first-renewal offer)
 * when they do not exist yet. An existing coupon is left exactly as it is: its terms are the account's call.
 * https://docs.stripe.com/api/coupons/create
 */
export async function setupStripeCoupons(deps: ConnectorDeps, specs: readonly CouponSpec[]): Promise<CouponSetupResult[]> {
  const stripe = stripeClient(deps);
  const out: CouponSetupResult[] = [];
  for (const c of specs) {
    try {
      await stripe.coupons.retrieve(c.id);
      out.push({ id: c.id, status: "exists" });
      continue;
    } catch (err) {
      if ((err as Stripe.errors.StripeError).statusCode !== 404) {
        out.push({ id: c.id, status: "error", detail: (err as Error).message });
        continue;
      }
    }
    try {
      await stripe.coupons.create({ id: c.id, name: c.name, percent_off: c.percentOff, duration: c.duration }, { idempotencyKey: `tenure-setup:coupon:${c.id}` });
      out.push({ id: c.id, status: "created" });
    } catch (err) {
      out.push({ id: c.id, status: "error", detail: (err as Error).message });
    }
  }
  return out;
}
