import { json, nextId, type Clock } from "./common";
import type { FormObject, FormValue } from "./stripe-form";
import { stripeError, type Customer, type StripeState, type Subscription } from "./stripe-resources";

/**
 * Stripe's list endpoints over the fake's records: newest first, `limit` 1–100 (default 10),
 * `starting_after` / `ending_before` cursors, `has_more`, `created[gte|gt|lte|lt]`, unknown parameters
 * refused. https://docs.stripe.com/api/pagination
 * Records added here carry the fields Stripe always returns (created, currency, items, ...), so they
 * can be read the way Tenure reads webhook objects.
 */

export type StripeRecord = { id: string; object: string; created?: number; [key: string]: unknown };

const COMMON = ["limit", "starting_after", "ending_before", "created", "expand"];
const PARAMS: Record<string, string[]> = {
  customers: [...COMMON, "email"],
  subscriptions: [...COMMON, "customer", "status", "price"],
  invoices: [...COMMON, "customer", "status", "subscription"],
  events: [...COMMON, "type", "types", "delivery_success"],
  promotion_codes: [...COMMON, "code", "coupon", "customer", "active"],
  balance_transactions: [...COMMON, "invoice"],
  refunds: [...COMMON, "charge", "payment_intent"],
  disputes: [...COMMON, "charge", "payment_intent"],
};
const KIND: Record<string, string> = {
  customers: "customer", subscriptions: "subscription", invoices: "invoice", events: "event",
  promotion_codes: "promotion_code", balance_transactions: "customer_balance_transaction", refunds: "refund", disputes: "dispute",
};

const invalid = (message: string, param?: string, code?: string) =>
  stripeError(400, "invalid_request_error", message, { ...(param ? { param } : {}), ...(code ? { code } : {}) });

export class StripeLists {
  readonly invoices = new Map<string, StripeRecord>();
  readonly charges = new Map<string, StripeRecord>();
  readonly refunds = new Map<string, StripeRecord>();
  readonly disputes = new Map<string, StripeRecord>();
  /** Oldest first, as they happened. */
  readonly events: StripeRecord[] = [];

  constructor(
    private readonly state: StripeState,
    private readonly now: Clock,
  ) {}

  private get created(): number {
    return Math.floor(this.now() / 1000);
  }

  addCustomer(init: Partial<Customer> & { id?: string; created?: number; [key: string]: unknown } = {}): Customer & StripeRecord {
    const c = {
      id: init.id ?? nextId("cus_"), object: "customer" as const, created: this.created, email: null, name: null, currency: null,
      balance: 0, invoice_credit_balance: {}, metadata: {}, livemode: false, ...init,
    };
    this.state.customers.set(c.id, c);
    return c;
  }

  /** A subscription as Stripe returns it; `init` must carry customer, status, currency and items. */
  addSubscription(init: { id: string; customer: string; status: string; [key: string]: unknown }): Subscription {
    const s = { created: this.created, discounts: [] as string[], metadata: {} as Record<string, string>, cancel_at_period_end: false, livemode: false, ...init, object: "subscription" as const };
    this.state.subscriptions.set(s.id, s);
    return s;
  }

  addInvoice(init: StripeRecord): StripeRecord {
    const inv = { created: this.created, livemode: false, ...init, object: "invoice" };
    this.invoices.set(inv.id, inv);
    return inv;
  }

  /** A charge (not listed here; refunds and disputes point at it, and a refund list can expand it). */
  addCharge(init: StripeRecord): StripeRecord {
    const ch = { created: this.created, livemode: false, refunded: false, amount_refunded: 0, ...init, object: "charge" };
    this.charges.set(ch.id, ch);
    return ch;
  }

  /** A refund of a charge: the charge's amount_refunded grows by it, as Stripe's does. */
  addRefund(init: { id: string; charge: string; amount: number; [key: string]: unknown }): StripeRecord {
    const charge = this.charges.get(init.charge);
    if (!charge) throw new Error(`addRefund: no charge ${init.charge}`);
    charge.amount_refunded = Number(charge.amount_refunded ?? 0) + init.amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const re = { created: this.created, currency: charge.currency, status: "succeeded", payment_intent: charge.payment_intent ?? null, ...init, object: "refund" };
    this.refunds.set(re.id, re);
    return re;
  }

  addDispute(init: { id: string; charge: string; amount: number; [key: string]: unknown }): StripeRecord {
    const charge = this.charges.get(init.charge);
    const dp = { created: this.created, currency: charge?.currency ?? "usd", status: "needs_response", reason: "general", payment_intent: charge?.payment_intent ?? null, livemode: false, ...init, object: "dispute" };
    this.disputes.set(dp.id, dp);
    return dp;
  }

  /** An event as GET /v1/events returns it (and as a webhook carries it). */
  addEvent(type: string, object: Record<string, unknown>, init: { id?: string; created?: number; previous_attributes?: Record<string, unknown> } = {}): StripeRecord {
    const ev: StripeRecord = {
      id: init.id ?? nextId("evt_"), object: "event", api_version: "2025-03-31.basil", created: init.created ?? this.created, livemode: false,
      pending_webhooks: 0, request: { id: null, idempotency_key: null }, type,
      data: { object, ...(init.previous_attributes ? { previous_attributes: init.previous_attributes } : {}) },
    };
    this.events.push(ev);
    return ev;
  }

  /** GET /v1/customers/:id/balance_transactions (https://docs.stripe.com/api/customer_balance_transactions/list). */
  balanceTransactions(customerId: string, params: FormObject): Response {
    if (!this.state.customers.has(customerId)) return stripeError(404, "invalid_request_error", `No such customer: '${customerId}'`, { code: "resource_missing", param: "customer" });
    const unknown = Object.keys(params).find((k) => !PARAMS.balance_transactions!.includes(k));
    if (unknown) return invalid(`Received unknown parameter: ${unknown}`, unknown, "parameter_unknown");
    const created = rangeOf(params.created);
    if (created instanceof Response) return created;
    const mine = this.state.balanceTransactions.filter((t) => t.customer === customerId && created(t.created)).map((t) => ({ ...t }) as StripeRecord);
    return paginate("balance_transactions", newestFirst(mine), params, `/v1/customers/${customerId}/balance_transactions`);
  }

  /** Serves GET /v1/{resource}; null when the resource has no list here. */
  list(resource: string, params: FormObject): Response | null {
    const allowed = PARAMS[resource];
    if (!allowed) return null;
    const unknown = Object.keys(params).find((k) => !allowed.includes(k));
    if (unknown) return invalid(`Received unknown parameter: ${unknown}`, unknown, "parameter_unknown");
    const filtered = this.filter(resource, params);
    if (filtered instanceof Response) return filtered;
    return paginate(resource, newestFirst(filtered), params);
  }

  private filter(resource: string, p: FormObject): StripeRecord[] | Response {
    const created = rangeOf(p.created);
    if (created instanceof Response) return created;
    let all: StripeRecord[] = this.records(resource).filter((r) => created(r.created ?? 0));
    for (const field of ["customer", "subscription", "email"]) {
      const want = p[field];
      if (typeof want === "string") all = all.filter((r) => r[field] === want);
    }
    if (resource === "subscriptions") {
      const status = typeof p.status === "string" ? p.status : undefined;
      // Without a status, canceled subscriptions are left out (https://docs.stripe.com/api/subscriptions/list).
      all = all.filter((s) => (status === "all" ? true : status ? s.status === status : s.status !== "canceled"));
    } else if (resource === "invoices" && typeof p.status === "string") {
      all = all.filter((i) => i.status === p.status);
    } else if (resource === "promotion_codes") {
      // https://docs.stripe.com/api/promotion_codes/list: `code` is matched case-insensitively.
      const { code, coupon, active } = p;
      if (typeof code === "string") all = all.filter((c) => String(c.code).toLowerCase() === code.toLowerCase());
      if (typeof coupon === "string") all = all.filter((c) => (c.promotion as { coupon: string }).coupon === coupon);
      if (typeof active === "string") all = all.filter((c) => String(c.active) === active);
    }
    if (resource === "events") return filterEvents(all, p);
    if (resource === "refunds" || resource === "disputes") {
      for (const field of ["charge", "payment_intent"]) if (typeof p[field] === "string") all = all.filter((r) => r[field] === p[field]);
      // expand[]=data.charge puts the charge object in place of its id (https://docs.stripe.com/expand).
      const expand = Array.isArray(p.expand) ? p.expand : typeof p.expand === "string" ? [p.expand] : [];
      if (expand.includes("data.charge")) all = all.map((r) => ({ ...r, charge: this.charges.get(String(r.charge)) ?? r.charge }));
    }
    return all;
  }

  private records(resource: string): StripeRecord[] {
    switch (resource) {
      case "customers":
        return [...this.state.customers.values()].map((c) => ({ ...c }));
      case "subscriptions":
        return [...this.state.subscriptions.values()].map((sub) => ({ ...sub }));
      case "invoices":
        return [...this.invoices.values()];
      case "promotion_codes":
        return [...this.state.promotionCodes.values()].map((c) => ({ ...c }));
      case "refunds":
        return [...this.refunds.values()].map((r) => ({ ...r }));
      case "disputes":
        return [...this.disputes.values()].map((d) => ({ ...d }));
      default:
        return [...this.events];
    }
  }
}

function filterEvents(all: StripeRecord[], p: FormObject): StripeRecord[] | Response {
  if (p.type !== undefined && p.types !== undefined) return invalid("You may pass either `type` or `types`, but not both.", "types");
  if (p.types !== undefined) {
    const types = Array.isArray(p.types) ? p.types.filter((t): t is string => typeof t === "string") : null;
    if (!types) return invalid("Invalid array", "types");
    if (types.length > 20) return invalid("You may pass at most 20 `types`.", "types");
    return all.filter((e) => types.includes(String(e.type)));
  }
  if (typeof p.type === "string") {
    const pattern = new RegExp(`^${p.type.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
    return all.filter((e) => pattern.test(String(e.type)));
  }
  return all;
}

/** Stripe lists newest first; records created in the same second keep their reverse insertion order. */
function newestFirst(records: StripeRecord[]): StripeRecord[] {
  return [...records].reverse().sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
}

function rangeOf(v: FormValue | undefined): ((t: number) => boolean) | Response {
  if (v === undefined) return () => true;
  if (typeof v === "string") return /^\d+$/.test(v) ? (t) => t === Number(v) : invalid(`Invalid integer: ${v}`, "created");
  if (Array.isArray(v)) return invalid("Invalid hash", "created");
  const bounds: [string, (t: number, x: number) => boolean][] = [["gte", (t, x) => t >= x], ["gt", (t, x) => t > x], ["lte", (t, x) => t <= x], ["lt", (t, x) => t < x]];
  const checks: ((t: number) => boolean)[] = [];
  for (const [k, raw] of Object.entries(v)) {
    const op = bounds.find(([name]) => name === k);
    if (!op || typeof raw !== "string" || !/^\d+$/.test(raw)) return invalid(`Invalid created[${k}]`, `created[${k}]`);
    checks.push((t) => op[1](t, Number(raw)));
  }
  return (t) => checks.every((c) => c(t));
}

function paginate(resource: string, records: StripeRecord[], p: FormObject, url = `/v1/${resource}`): Response {
  const limit = p.limit === undefined ? 10 : typeof p.limit === "string" && /^\d+$/.test(p.limit) ? Number(p.limit) : NaN;
  if (!Number.isInteger(limit)) return invalid(`Invalid integer: ${String(p.limit)}`, "limit", "parameter_invalid_integer");
  if (limit < 1 || limit > 100) return invalid("This value must be between 1 and 100.", "limit");
  if (p.starting_after !== undefined && p.ending_before !== undefined) return invalid("You may only specify one of these parameters: starting_after, ending_before.");
  const cursor = (p.starting_after ?? p.ending_before) as string | undefined;
  let data = records;
  if (cursor !== undefined) {
    const at = records.findIndex((r) => r.id === cursor);
    const param = p.starting_after !== undefined ? "starting_after" : "ending_before";
    if (at < 0) return invalid(`No such ${KIND[resource]}: '${cursor}'`, param, "resource_missing");
    data = param === "starting_after" ? records.slice(at + 1) : records.slice(0, at).slice(-limit);
    if (param === "ending_before") return json(200, { object: "list", url, has_more: at > limit, data });
  }
  return json(200, { object: "list", url, has_more: data.length > limit, data: data.slice(0, limit) });
}
