import { json, nextId, type Clock } from "./common";
import type { FormObject } from "./stripe-form";
import type { StripeLists, StripeRecord } from "./stripe-lists";
import { stripeError } from "./stripe-resources";

/**
 * Discounts and GET /v1/invoices/:id as Stripe serves them: an invoice lists its discounts as ids ("di_…");
 * `expand[]=discounts` puts the discount objects in their place, each with its `promotion_code` (an id) and
 * basil's `source.coupon`. An unknown invoice is a 404 resource_missing; an unknown parameter or expansion a 400.
 * https://docs.stripe.com/api/invoices/retrieve, https://docs.stripe.com/api/discounts/object
 */
export class StripeDiscounts {
  readonly discounts = new Map<string, StripeRecord>();

  constructor(
    private readonly lists: StripeLists,
    private readonly now: Clock,
  ) {}

  add(init: { id?: string; promotion_code: string | null; coupon: string; invoice?: string; customer?: string }): StripeRecord {
    const d: StripeRecord = {
      id: init.id ?? nextId("di_"),
      object: "discount",
      promotion_code: init.promotion_code,
      source: { type: "coupon", coupon: init.coupon },
      customer: init.customer ?? null,
      invoice: init.invoice ?? null,
      invoice_item: null,
      subscription: null,
      subscription_item: null,
      checkout_session: null,
      start: Math.floor(this.now() / 1000),
      end: null,
    };
    this.discounts.set(d.id, d);
    return d;
  }

  retrieveInvoice(id: string, params: FormObject): Response {
    const unknown = Object.keys(params).find((k) => k !== "expand");
    if (unknown) return stripeError(400, "invalid_request_error", `Received unknown parameter: ${unknown}`, { code: "parameter_unknown", param: unknown });
    const expand = Array.isArray(params.expand) ? params.expand : typeof params.expand === "string" ? [params.expand] : [];
    const bad = expand.find((e) => e !== "discounts");
    if (bad !== undefined) return stripeError(400, "invalid_request_error", `This property cannot be expanded (${String(bad)}).`, { param: "expand" });
    const inv = this.lists.invoices.get(id);
    if (!inv) return stripeError(404, "invalid_request_error", `No such invoice: '${id}'`, { code: "resource_missing", param: "id" });
    const ids = Array.isArray(inv.discounts) ? (inv.discounts as unknown[]) : [];
    const discounts = expand.includes("discounts") ? ids.map((d) => (typeof d === "string" ? (this.discounts.get(d) ?? d) : d)) : ids;
    return json(200, { ...inv, discounts });
  }
}
