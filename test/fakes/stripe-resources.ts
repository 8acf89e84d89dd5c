import { json, nextId, type Clock } from "./common";
import type { FormObject, FormValue } from "./stripe-form";

/** Stripe objects the fake keeps, and the endpoints that act on them. Errors use Stripe's body shape. */

export interface Customer {
  id: string;
  object: "customer";
  email: string | null;
  name: string | null;
  currency: string | null;
  balance: number;
  invoice_credit_balance: Record<string, number>;
  metadata: Record<string, string>;
}
export interface BalanceTransaction {
  id: string;
  object: "customer_balance_transaction";
  amount: number;
  currency: string;
  customer: string;
  description: string | null;
  ending_balance: number;
  metadata: Record<string, string>;
  type: "adjustment";
  created: number;
  livemode: false;
}
export interface Coupon {
  id: string;
  object: "coupon";
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  duration: string;
  valid: boolean;
}
export interface PromotionCode {
  id: string;
  object: "promotion_code";
  code: string;
  active: boolean;
  promotion: { type: "coupon"; coupon: string };
  customer: string | null;
  restrictions: { first_time_transaction: boolean };
  metadata: Record<string, string>;
  created: number;
}
export interface Subscription {
  id: string;
  object: "subscription";
  customer: string;
  status: string;
  discounts: string[];
  metadata: Record<string, string>;
}

export function stripeError(status: number, type: string, message: string, extra: { code?: string; param?: string } = {}): Response {
  return json(status, { error: { type, message, ...extra } });
}
const invalid = (message: string, extra: { code?: string; param?: string } = {}) => stripeError(400, "invalid_request_error", message, extra);
const missing = (kind: string, id: string, param = "id") =>
  stripeError(404, "invalid_request_error", `No such ${kind}: '${id}'`, { code: "resource_missing", param });

/** Rejects parameters the endpoint does not take, as Stripe does ("Received unknown parameter"). */
function unknownParam(params: FormObject, allowed: string[]): Response | null {
  const extra = Object.keys(params).find((k) => !allowed.includes(k));
  return extra ? invalid(`Received unknown parameter: ${extra}`, { code: "parameter_unknown", param: extra }) : null;
}

const asStringMap = (v: FormValue | undefined): Record<string, string> =>
  v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"))
    : {};

export class StripeState {
  readonly customers = new Map<string, Customer>();
  readonly balanceTransactions: BalanceTransaction[] = [];
  readonly coupons = new Map<string, Coupon>();
  readonly promotionCodes = new Map<string, PromotionCode>();
  readonly subscriptions = new Map<string, Subscription>();

  constructor(private readonly now: Clock) {}

  private get created(): number {
    return Math.floor(this.now() / 1000);
  }

  addCustomer(init: { email?: string; name?: string; currency?: string } = {}): Customer {
    const c: Customer = {
      id: nextId("cus_"), object: "customer", email: init.email ?? null, name: init.name ?? null,
      currency: init.currency ?? null, balance: 0, invoice_credit_balance: {}, metadata: {},
    };
    this.customers.set(c.id, c);
    return c;
  }

  addCoupon(init: { id?: string; percent_off?: number; amount_off?: number; currency?: string; duration?: string } = {}): Coupon {
    const c: Coupon = {
      id: init.id ?? nextId("co_"), object: "coupon", percent_off: init.percent_off ?? null,
      amount_off: init.amount_off ?? null, currency: init.currency ?? null, duration: init.duration ?? "once", valid: true,
    };
    this.coupons.set(c.id, c);
    return c;
  }

  addSubscription(customer: string): Subscription {
    const s: Subscription = { id: nextId("sub_"), object: "subscription", customer, status: "active", discounts: [], metadata: {} };
    this.subscriptions.set(s.id, s);
    return s;
  }

  getCustomer(id: string): Response {
    const c = this.customers.get(id);
    return c ? json(200, c) : missing("customer", id);
  }

  // https://docs.stripe.com/api/customer_balance_transactions/create
  createBalanceTransaction(customerId: string, p: FormObject): Response {
    const bad = unknownParam(p, ["amount", "currency", "description", "metadata", "expand"]);
    if (bad) return bad;
    if (p.amount === undefined) return invalid("Missing required param: amount.", { code: "parameter_missing", param: "amount" });
    if (typeof p.amount !== "string" || !/^-?\d+$/.test(p.amount)) {
      return invalid(`Invalid integer: ${String(p.amount)}`, { code: "parameter_invalid_integer", param: "amount" });
    }
    if (p.currency === undefined) return invalid("Missing required param: currency.", { code: "parameter_missing", param: "currency" });
    if (typeof p.currency !== "string" || !/^[a-z]{3}$/i.test(p.currency)) return invalid(`Invalid currency: ${String(p.currency)}`, { param: "currency" });
    const customer = this.customers.get(customerId);
    if (!customer) return missing("customer", customerId, "customer");
    const currency = p.currency.toLowerCase();
    const amount = Number(p.amount);
    const ending = (customer.invoice_credit_balance[currency] ?? 0) + amount;
    customer.invoice_credit_balance[currency] = ending;
    customer.currency ??= currency;
    if (customer.currency === currency) customer.balance = ending;
    const txn: BalanceTransaction = {
      id: nextId("cbtxn_"), object: "customer_balance_transaction", amount, currency, customer: customer.id,
      description: typeof p.description === "string" ? p.description : null, ending_balance: ending,
      metadata: asStringMap(p.metadata), type: "adjustment", created: this.created, livemode: false,
    };
    this.balanceTransactions.push(txn);
    return json(200, txn);
  }

  // https://docs.stripe.com/api/promotion_codes/create
  createPromotionCode(p: FormObject): Response {
    const bad = unknownParam(p, ["promotion", "code", "customer", "restrictions", "metadata", "active", "expires_at", "max_redemptions", "expand"]);
    if (bad) return bad;
    const promotion = p.promotion;
    if (!promotion || typeof promotion !== "object" || Array.isArray(promotion)) {
      return invalid("Missing required param: promotion.", { code: "parameter_missing", param: "promotion" });
    }
    if (promotion.type !== "coupon") return invalid("Invalid promotion[type]: must be coupon", { param: "promotion[type]" });
    const coupon = typeof promotion.coupon === "string" ? this.coupons.get(promotion.coupon) : undefined;
    if (!coupon) return invalid(`No such coupon: '${String(promotion.coupon)}'`, { code: "resource_missing", param: "promotion[coupon]" });
    const customer = typeof p.customer === "string" ? p.customer : null;
    if (customer !== null && !this.customers.has(customer)) return invalid(`No such customer: '${customer}'`, { code: "resource_missing", param: "customer" });
    const code = typeof p.code === "string" ? p.code : nextId("").toUpperCase();
    if (!/^[a-zA-Z0-9-]+$/.test(code)) return invalid(`Invalid code: ${code}`, { code: "parameter_invalid_string", param: "code" });
    const taken = [...this.promotionCodes.values()].some((c) => c.active && c.code.toLowerCase() === code.toLowerCase() && c.customer === customer);
    if (taken) return invalid(`An active promotion code with \`code: ${code}\` already exists.`, { code: "resource_already_exists", param: "code" });
    const restrictions = p.restrictions && typeof p.restrictions === "object" && !Array.isArray(p.restrictions) ? p.restrictions : {};
    const promo: PromotionCode = {
      id: nextId("promo_"), object: "promotion_code", code, active: p.active !== "false",
      promotion: { type: "coupon", coupon: coupon.id }, customer,
      restrictions: { first_time_transaction: restrictions.first_time_transaction === "true" },
      metadata: asStringMap(p.metadata), created: this.created,
    };
    this.promotionCodes.set(promo.id, promo);
    return json(200, promo);
  }

  // https://docs.stripe.com/api/subscriptions/update
  updateSubscription(id: string, p: FormObject): Response {
    const bad = unknownParam(p, ["discounts", "metadata", "cancel_at_period_end", "proration_behavior", "expand"]);
    if (bad) return bad;
    const sub = this.subscriptions.get(id);
    if (!sub) return missing("subscription", id);
    if (p.discounts !== undefined) {
      const list = p.discounts === "" ? [] : Array.isArray(p.discounts) ? p.discounts : null;
      if (list === null) return invalid("Invalid array", { param: "discounts" });
      const ids: string[] = [];
      for (const [i, d] of list.entries()) {
        const couponId = typeof d === "object" && !Array.isArray(d) ? d.coupon : undefined;
        if (typeof couponId !== "string" || !this.coupons.has(couponId)) {
          return invalid(`No such coupon: '${String(couponId)}'`, { code: "resource_missing", param: `discounts[${i}][coupon]` });
        }
        ids.push(nextId("di_"));
      }
      sub.discounts = ids;
    }
    Object.assign(sub.metadata, asStringMap(p.metadata));
    return json(200, sub);
  }
}
