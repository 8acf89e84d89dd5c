import type { z } from "zod";
import type { StripePrice, subscriptionItemSchema } from "./schemas";

type Item = z.infer<typeof subscriptionItemSchema>;

const PER_MONTH = { day: 365 / 12, week: 52 / 12, month: 1, year: 1 / 12 } as const;

/**
 * Monthly recurring revenue of a subscription's items, in minor units, and how many items have no amount
 * Tenure can state: a metered price (billed on usage; the invoice tells, see invoice.paid's meteredAmount) or a
 * tiered price whose tiers the payload does not carry (Stripe includes `tiers` only when expanded).
 * An unknown item adds nothing to `mrr` and is counted, never silently taken as 0.
 * https://docs.stripe.com/api/prices/object
 */
export function monthlyRevenue(items: readonly Item[]): { mrr: number; unknownItems: number } {
  let total = 0;
  let unknownItems = 0;
  for (const it of items) {
    const amount = itemAmount(it);
    if (amount === null) {
      unknownItems++;
      continue;
    }
    const interval = it.price?.recurring?.interval ?? it.plan?.interval ?? "month";
    const count = it.price?.recurring?.interval_count ?? it.plan?.interval_count ?? 1;
    const perMonth = PER_MONTH[interval as keyof typeof PER_MONTH] ?? 1;
    total += (amount * perMonth) / count;
  }
  return { mrr: Math.round(total), unknownItems };
}

/** One billing period's amount for the item's quantity, or null when it cannot be known from the payload. */
function itemAmount(it: Item): number | null {
  const quantity = it.quantity ?? 1;
  // The price is the current object; `plan` is its legacy mirror, read only when there is no price.
  const price = it.price;
  if (price) {
    if (price.recurring?.usage_type === "metered") return null;
    if (price.billing_scheme === "tiered") return price.tiers?.length ? tieredAmount(price, quantity) : null;
    return price.unit_amount == null ? null : price.unit_amount * quantity;
  }
  const plan = it.plan;
  if (!plan || plan.usage_type === "metered" || plan.billing_scheme === "tiered" || plan.amount == null) return null;
  return plan.amount * quantity;
}

/** Graduated: each tier prices the units that fall in it; volume: the tier of the total prices every unit. */
export function tieredAmount(price: StripePrice, quantity: number): number {
  const tiers = price.tiers ?? [];
  if (price.tiers_mode === "volume") {
    const tier = tiers.find((t) => t.up_to === null || quantity <= t.up_to) ?? tiers[tiers.length - 1];
    return tier ? (tier.unit_amount ?? 0) * quantity + (tier.flat_amount ?? 0) : 0;
  }
  let total = 0;
  let from = 0;
  for (const t of tiers) {
    if (quantity <= from) break;
    const upTo = t.up_to === null ? quantity : Math.min(t.up_to, quantity);
    total += (t.unit_amount ?? 0) * (upTo - from) + (t.flat_amount ?? 0);
    from = upTo;
  }
  return total;
}
