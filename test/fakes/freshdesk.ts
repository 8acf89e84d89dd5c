import { FaultSwitch, json, readBody, recordOf, RollingWindow, type Clock, type RecordedRequest } from "./common";

/**
 * A Freshdesk API v2 that behaves like the real one where Tenure can tell the difference:
 * - Basic auth `{api key}:X`, else 401 `invalid_credentials`;
 * - a per-minute rate limit (default 50, the Growth plan's lowest) answering 429 with Retry-After in seconds;
 * - GET /api/v2/surveys/satisfaction_ratings with `created_since`, `page` and `per_page` (1–100, default 30),
 *   oldest first, and `Link: <…>; rel="next"` while more pages exist;
 * - GET /api/v2/contacts/{id} and /api/v2/companies/{id}, 404 for unknown (deleted) ids.
 * https://developers.freshdesk.com/api/#ratelimit https://developers.freshdesk.com/api/#pagination
 */
export interface FakeFreshdeskOptions {
  apiKey: string;
  now?: Clock;
  perMinute?: number;
}

export interface FakeFreshdeskRating {
  id: number;
  survey_id: number;
  user_id: number;
  agent_id: number | null;
  group_id: number | null;
  ticket_id: number;
  feedback: string | null;
  ratings: Record<string, number>;
  created_at: string;
  updated_at: string;
}

export class FakeFreshdesk {
  readonly ratings: FakeFreshdeskRating[] = [];
  readonly contacts = new Map<string, { id: number; name: string; email: string | null; company_id: number | null }>();
  readonly companies = new Map<string, { id: number; name: string; domains: string[] }>();
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultSwitch();
  readonly now: Clock;
  private readonly window: RollingWindow;

  constructor(private readonly opts: FakeFreshdeskOptions) {
    this.now = opts.now ?? Date.now;
    this.window = new RollingWindow(opts.perMinute ?? 50, 60_000);
  }

  addContact(id: number, email: string | null, companyId: number | null = null): void {
    this.contacts.set(String(id), { id, name: `Contact ${id}`, email, company_id: companyId });
  }

  addCompany(id: number, domains: string[]): void {
    this.companies.set(String(id), { id, name: `Company ${id}`, domains });
  }

  addRating(r: Pick<FakeFreshdeskRating, "id" | "user_id" | "ticket_id" | "ratings" | "created_at"> & Partial<FakeFreshdeskRating>): void {
    this.ratings.push({ survey_id: 1, agent_id: 5001, group_id: null, feedback: null, updated_at: r.created_at, ...r });
  }

  async handle(req: Request): Promise<Response> {
    const body = await readBody(req);
    const res = this.serve(req);
    this.requests.push(recordOf(req, body, res.status, this.now()));
    return res;
  }

  private serve(req: Request): Response {
    const now = this.now();
    const fault = this.faults.take(now);
    if (fault !== null) return json(fault, { message: fault === 429 ? "You have exceeded the limit of requests per minute" : "Internal error" }, fault === 429 ? { "retry-after": "30" } : {});
    if (req.headers.get("authorization") !== `Basic ${btoa(`${this.opts.apiKey}:X`)}`) {
      return json(401, { code: "invalid_credentials", message: "You have to be logged in to perform this action." });
    }
    const slot = this.window.take(now);
    if (!slot.ok) return json(429, { message: "You have exceeded the limit of requests per minute" }, { "retry-after": String(Math.ceil(slot.retryAfterMs / 1000)) });
    if (req.method !== "GET") return json(405, { message: "Method not allowed" });
    const url = new URL(req.url);
    if (url.pathname === "/api/v2/surveys/satisfaction_ratings") return this.listRatings(url);
    let m = /^\/api\/v2\/contacts\/(\d+)$/.exec(url.pathname);
    if (m) {
      const c = this.contacts.get(m[1]!);
      return c ? json(200, { ...c, active: true, created_at: "2025-01-01T00:00:00Z" }) : new Response(null, { status: 404 });
    }
    m = /^\/api\/v2\/companies\/(\d+)$/.exec(url.pathname);
    if (m) {
      const c = this.companies.get(m[1]!);
      return c ? json(200, { ...c, description: null, custom_fields: {} }) : new Response(null, { status: 404 });
    }
    return new Response(null, { status: 404 });
  }

  private listRatings(url: URL): Response {
    const q = url.searchParams;
    const perPage = Number(q.get("per_page") ?? "30");
    const page = Number(q.get("page") ?? "1");
    const invalid = (field: string, message: string) => json(400, { description: "Validation failed", errors: [{ field, message, code: "invalid_value" }] });
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return invalid("per_page", "Must be a number between 1 and 100");
    if (!Number.isInteger(page) || page < 1) return invalid("page", "Must be a positive number");
    const since = q.get("created_since");
    const sinceMs = since === null ? 0 : Date.parse(since);
    if (!Number.isFinite(sinceMs) || (since !== null && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(since))) return invalid("created_since", "It should be in the 'yyyy-mm-ddThh:mm:ssZ' format");
    const all = this.ratings.filter((r) => Date.parse(r.created_at) >= sinceMs).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(url);
      next.searchParams.set("page", String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return json(200, slice, headers);
  }
}
