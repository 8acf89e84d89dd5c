import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeStripe } from "../../webhooks/stripe/normalize";
import { monthlyRevenue, tieredAmount } from "../../webhooks/stripe/mrr";
import { stripeEventSchema } from "../../webhooks/stripe/schemas";
import { SELF } from "cloudflare:test";
import { editedFixture } from "../support/fixtures";
import { ADMIN } from "../support/drain";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "./stripe-support";

/** customer.subscription.created (basil) with its one item's price replaced. */
function withPrice(price: Record<string, unknown>, quantity = 1, extraItem?: Record<string, unknown>) {
  const raw = editedFixture("stripe", "customer.subscription.created", (j) => {
    const item = j.data.object.items.data[0];
    item.price = { ...item.price, ...price };
    item.quantity = quantity;
    delete item.plan;
    if (extraItem) j.data.object.items.data.push({ ...item, id: "si_extra", price: { ...item.price, ...extraItem } });
    j.data.object.status = "active";
  });
  const ev = normalizeStripe(stripeEventSchema.parse(JSON.parse(raw)), raw)[0]!.events[0] as any;
  return { mrr: ev.mrr, unknown: ev.mrrUnknownItems };
}

// Stripe's documented tier examples: https://docs.stripe.com/products-prices/pricing-models#tiered-pricing
const TIERS = [
  { up_to: 5, unit_amount: 700, flat_amount: null },
  { up_to: 10, unit_amount: 650, flat_amount: null },
  { up_to: null, unit_amount: 600, flat_amount: null },
];

describe("MRR of tiered and metered prices", () => {
  it("per-unit prices: unit amount × quantity, normalized to a month", () => {
    expect(withPrice({ billing_scheme: "per_unit", unit_amount: 1000, recurring: { interval: "year", interval_count: 1, usage_type: "licensed" } }, 12)).toEqual({ mrr: 1000, unknown: undefined });
  });

  it("tiered prices with their tiers: graduated and volume computed from the quantity", () => {
    const graduated = { billing_scheme: "tiered", tiers_mode: "graduated", unit_amount: null, tiers: TIERS, recurring: { interval: "month", interval_count: 1, usage_type: "licensed" } };
    // 5 × 7.00 + 5 × 6.50 + 2 × 6.00
    expect(withPrice(graduated, 12)).toEqual({ mrr: 5 * 700 + 5 * 650 + 2 * 600, unknown: undefined });
    expect(withPrice({ ...graduated, tiers_mode: "volume" }, 12)).toEqual({ mrr: 12 * 600, unknown: undefined });
  });

  it("a tiered price without tiers (Stripe sends them only when expanded) and a metered price are unknown, never 0", () => {
    const tieredBare = { billing_scheme: "tiered", tiers_mode: "graduated", unit_amount: null, recurring: { interval: "month", interval_count: 1, usage_type: "licensed" } };
    expect(withPrice(tieredBare, 3)).toEqual({ mrr: 0, unknown: 1 });
    const metered = { billing_scheme: "per_unit", unit_amount: 5, recurring: { interval: "month", interval_count: 1, usage_type: "metered" } };
    // A licensed base fee and a metered add-on: the base is counted, the add-on is reported unknown.
    expect(withPrice({ unit_amount: 4900, recurring: { interval: "month", interval_count: 1, usage_type: "licensed" } }, 1, metered)).toEqual({ mrr: 4900, unknown: 1 });
  });

  it("the paid invoice reports its metered line amounts", () => {
    const raw = editedFixture("stripe", "invoice.paid.first", (j) => {
      const line = j.data.object.lines.data[0];
      j.data.object.lines.data.push({ ...line, id: "il_metered", amount: 1234, price: { id: "price_api_calls", recurring: { interval: "month", usage_type: "metered" } } });
    });
    const ev = normalizeStripe(stripeEventSchema.parse(JSON.parse(raw)), raw)[0]!.events[0] as any;
    expect(ev.meteredAmount).toBe(1234);
  });

  it("property: a graduated price never falls as quantity grows, and is the item's monthly amount", () => {
    const tier = fc.record({ unit_amount: fc.integer({ min: 0, max: 10_000 }), flat_amount: fc.constantFrom(null, 0, 500) });
    fc.assert(
      fc.property(fc.array(tier, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 200 }), (ts, q) => {
        const tiers = ts.map((t, i) => ({ ...t, up_to: i === ts.length - 1 ? null : (i + 1) * 10 }));
        const price = { billing_scheme: "tiered", tiers_mode: "graduated" as const, tiers };
        const a = tieredAmount(price, q);
        const b = tieredAmount(price, q + 1);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b).toBeGreaterThanOrEqual(a);
        expect(monthlyRevenue([{ price: { ...price, recurring: { interval: "month", interval_count: 1 } }, quantity: q }]).mrr).toBe(a);
      }),
    );
  });
});

describe("a customer's MRR through the route and queue", () => {
  it("is kept per currency, never summed; trials add nothing; a metered item is reported unknown", async () => {
    const cus = "cus_mrr_multi";
    await postStripe(stripeEvent("customer.created", "evt_mrr_cus", (o) => ((o.id = cus), (o.email = "ops@multi.example"), (o.metadata = {}))));
    const sub = (id: string, currency: string, status: string, price: Record<string, unknown>) =>
      stripeEvent("customer.subscription.created", `evt_mrr_${id}`, (o) => {
        o.id = id;
        o.customer = cus;
        o.currency = currency;
        o.status = status;
        const item = o.items.data[0];
        item.price = { ...item.price, currency, ...price };
        item.quantity = 1;
        delete item.plan;
      });
    const monthly = (usage_type: string) => ({ interval: "month", interval_count: 1, usage_type });
    await postStripe(sub("sub_mrr_usd", "usd", "active", { unit_amount: 10_000, recurring: monthly("licensed") }));
    await postStripe(sub("sub_mrr_eur", "eur", "active", { unit_amount: 30_000, recurring: monthly("licensed") }));
    await postStripe(sub("sub_mrr_trial", "usd", "trialing", { unit_amount: 99_000, recurring: monthly("licensed") }));
    await postStripe(sub("sub_mrr_api", "usd", "active", { unit_amount: 2, recurring: monthly("metered") }));
    await applyReceived();
    const { id } = await customerByStripeId(cus);
    const res = await SELF.fetch(`https://tenure.example.com/api/customers/${id}`, { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ mrr: 10_000, currency: "usd", mrrByCurrency: { usd: 10_000, eur: 30_000 }, mrrUnknownItems: 1 });
  });
});
