import { bearer, FaultSwitch, readBody, nextId, recordOf, RollingWindow, Stall, type Clock, type RecordedRequest } from "./common";
import { decodeStripeForm, fingerprint, type FormObject } from "./stripe-form";
import { StripeDiscounts } from "./stripe-discounts";
import { StripeLists } from "./stripe-lists";
import { StripeState, stripeError } from "./stripe-resources";

/**
 * A Stripe API (v1) that behaves like the real one where Tenure can tell the difference:
 * - `Authorization: Bearer sk_…` or 401; form-encoded bodies only, unknown parameters refused;
 * - Idempotency-Key: the first result (status + body) is saved once the endpoint has run and
 *   replayed for the same key with `Idempotent-Replayed: true`; the same key with other
 *   parameters or on another endpoint is a 400 idempotency_error; validation errors, 401 and 429
 *   save nothing (https://docs.stripe.com/api/idempotent_requests); a key is forgotten 24 hours after its
 *   first use (on the fake's clock), and a reused key then runs as a new request; while a request is still
 *   running (`stall.hangNext(n, "before")`), another under the same key gets 409 idempotency_key_in_use;
 * - a request rate limit (default 25/s, the sandbox figure) answering 429 with code rate_limit.
 */
export interface FakeStripeOptions {
  secretKey: string;
  now?: Clock;
  requestsPerSecond?: number;
}

/** Stripe may prune a key once it is 24 hours old; the fake always does. */
const KEY_TTL_MS = 24 * 3_600_000;

interface Saved {
  at: number;
  endpoint: string;
  params: string;
  status: number;
  body: string;
}

export class FakeStripe {
  readonly state: StripeState;
  /** GET list endpoints and the records (invoices, events) only they serve. */
  readonly lists: StripeLists;
  /** Discount objects, and GET /v1/invoices/:id with expand[]=discounts. */
  readonly discounts: StripeDiscounts;
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultSwitch();
  /** Requests held unanswered (`stall.hangNext`) until `stall.release()`. */
  readonly stall = new Stall();
  readonly now: Clock;
  private readonly limiter: RollingWindow;
  private readonly idempotency = new Map<string, Saved>();
  private readonly running = new Set<string>();
  private crashes = 0;

  constructor(private readonly opts: FakeStripeOptions) {
    this.now = opts.now ?? Date.now;
    this.state = new StripeState(this.now);
    this.lists = new StripeLists(this.state, this.now);
    this.discounts = new StripeDiscounts(this.lists, this.now);
    this.limiter = new RollingWindow(opts.requestsPerSecond ?? 25, 1_000);
  }

  /** Edge failures: answered before the API runs, so nothing is saved under the key. */
  failNext(n: number, status: number): void {
    this.faults.failNext(n, status);
  }

  outage(untilMs: number): void {
    this.faults.outage(untilMs);
  }

  /** The next n POSTs run (and change state) but answer 500, which Stripe saves and replays for the key. */
  crashAfterCommit(n: number): void {
    this.crashes += n;
  }

  async handle(req: Request): Promise<Response> {
    const body = await readBody(req);
    const res = await this.serve(req, body);
    this.requests.push(recordOf(req, body, res.status, this.now()));
    return res;
  }

  private async serve(req: Request, body: string): Promise<Response> {
    const requestId = nextId("req_");
    const fault = this.faults.take(this.now());
    if (fault !== null) return withHeaders(stripeError(fault, "api_error", "Injected failure"), { "request-id": requestId });
    const auth = this.authenticate(req);
    if (auth) return auth;
    if (!this.limiter.take(this.now()).ok) {
      const limited = stripeError(429, "invalid_request_error", "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.", { code: "rate_limit" });
      return withHeaders(limited, { "retry-after": "1" });
    }
    const url = new URL(req.url);
    const endpoint = `${req.method} ${url.pathname}`;
    const contentType = req.headers.get("content-type") ?? "";
    if (req.method === "POST" && body !== "" && !contentType.includes("application/x-www-form-urlencoded")) {
      return stripeError(400, "invalid_request_error", "Invalid request (check that your POST content type is application/x-www-form-urlencoded).");
    }
    const params = decodeStripeForm(req.method === "GET" ? url.search.slice(1) : body);
    const key = req.method === "POST" ? req.headers.get("idempotency-key") : null;
    const headers = { "request-id": requestId, ...(key ? { "idempotency-key": key } : {}) };
    if (!key) return withHeaders(await this.stall.around(async () => this.execute(req.method, url.pathname, params)), headers);
    return withHeaders(await this.idempotent(key, endpoint, params, () => this.execute(req.method, url.pathname, params)), headers);
  }

  private authenticate(req: Request): Response | null {
    const key = bearer(req);
    if (!key) {
      return stripeError(401, "invalid_request_error", "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
    }
    if (!key.startsWith("sk_") || key !== this.opts.secretKey) {
      return stripeError(401, "invalid_request_error", `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`);
    }
    return null;
  }

  private async idempotent(key: string, endpoint: string, params: FormObject, run: () => Response): Promise<Response> {
    if (this.running.has(key)) {
      // https://docs.stripe.com/error-codes#idempotency-key-in-use
      return stripeError(409, "invalid_request_error", `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`, { code: "idempotency_key_in_use" });
    }
    const stored = this.idempotency.get(key);
    if (stored && this.now() - stored.at >= KEY_TTL_MS) this.idempotency.delete(key);
    const saved = this.idempotency.get(key);
    const print = fingerprint(params);
    if (saved) {
      if (saved.endpoint !== endpoint) {
        return stripeError(400, "idempotency_error", `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`);
      }
      if (saved.params !== print) {
        return stripeError(400, "idempotency_error", `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
      }
      return new Response(saved.body, {
        status: saved.status,
        headers: { "content-type": "application/json", "idempotent-replayed": "true" },
      });
    }
    const hold = this.stall.take();
    let res: Response;
    this.running.add(key);
    try {
      if (hold?.phase === "before") await hold.released;
      res = run();
    } finally {
      this.running.delete(key);
    }
    if (this.crashes > 0 && res.ok) {
      this.crashes -= 1;
      res = stripeError(500, "api_error", "An unknown error occurred while processing this request.");
    }
    // A validation failure (400/404) means the endpoint never ran: nothing is saved.
    if (res.status < 400 || res.status >= 500 || res.status === 402) {
      this.idempotency.set(key, { at: this.now(), endpoint, params: print, status: res.status, body: await res.clone().text() });
    }
    if (hold?.phase === "after") await hold.released;
    return res;
  }

  private execute(method: string, path: string, params: FormObject): Response {
    const [v1, resource, id, sub, ...rest] = path.split("/").filter(Boolean);
    if (v1 !== "v1" || rest.length > 0) return notFound(method, path);
    const s = this.state;
    if (resource === "customers" && id) {
      if (method === "GET" && !sub) return s.getCustomer(id);
      if (method === "POST" && sub === "balance_transactions") return s.createBalanceTransaction(id, params);
      if (method === "GET" && sub === "balance_transactions") return this.lists.balanceTransactions(id, params);
    }
    if (resource === "customers" && !id && method === "POST") {
      const c = s.addCustomer({
        ...(typeof params.email === "string" ? { email: params.email } : {}),
        ...(typeof params.name === "string" ? { name: params.name } : {}),
      });
      return jsonOk(c);
    }
    if (resource === "coupons" && !id && method === "POST") return this.createCoupon(params);
    if (resource === "coupons" && id && method === "GET") {
      const c = s.coupons.get(id);
      return c ? jsonOk(c) : stripeError(404, "invalid_request_error", `No such coupon: '${id}'`, { code: "resource_missing", param: "id" });
    }
    if (resource === "promotion_codes" && !id && method === "POST") return s.createPromotionCode(params);
    if (resource === "subscriptions" && id && !sub) {
      if (method === "POST") return s.updateSubscription(id, params);
      const found = s.subscriptions.get(id);
      if (method === "GET" && found) return jsonOk(found);
    }
    if (resource === "invoices" && id && !sub && method === "GET") return this.discounts.retrieveInvoice(id, params);
    if (method === "GET" && resource && !id) return this.lists.list(resource, params) ?? notFound(method, path);
    return notFound(method, path);
  }

  private createCoupon(p: FormObject): Response {
    const duration = typeof p.duration === "string" ? p.duration : "once";
    if (!["once", "repeating", "forever"].includes(duration)) return stripeError(400, "invalid_request_error", `Invalid duration: ${duration}`, { param: "duration" });
    if (typeof p.id === "string" && this.state.coupons.has(p.id)) {
      return stripeError(400, "invalid_request_error", "Coupon already exists.", { code: "resource_already_exists", param: "id" });
    }
    if (p.percent_off === undefined && p.amount_off === undefined) {
      return stripeError(400, "invalid_request_error", "Must provide either amount_off or percent_off.", { code: "parameter_missing" });
    }
    const coupon = this.state.addCoupon({
      ...(typeof p.id === "string" ? { id: p.id } : {}),
      ...(typeof p.percent_off === "string" ? { percent_off: Number(p.percent_off) } : {}),
      ...(typeof p.amount_off === "string" ? { amount_off: Number(p.amount_off) } : {}),
      ...(typeof p.currency === "string" ? { currency: p.currency } : {}),
      duration,
    });
    return jsonOk(coupon);
  }
}

const jsonOk = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });

function notFound(method: string, path: string): Response {
  return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
}

function withHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}
