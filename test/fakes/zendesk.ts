import { FaultSwitch, json, readBody, recordOf, RollingWindow, type Clock, type RecordedRequest } from "./common";

/**
 * A Zendesk Support API that behaves like the real one where Tenure can tell the difference:
 * - Basic auth `{email}/token:{api token}`, else 401 `{"error":"Couldn't authenticate you"}`;
 * - a per-minute rate limit (default 200, the Team plan) answering 429 with Retry-After in seconds;
 * - GET /api/v2/users/{id}.json and /api/v2/organizations/{id}.json, 404 `RecordNotFound` for unknown ids.
 * https://developer.zendesk.com/api-reference/introduction/rate-limits/
 */
export interface FakeZendeskOptions {
  email: string;
  token: string;
  now?: Clock;
  /** Requests per rolling minute. */
  perMinute?: number;
}

export interface FakeZendeskUser {
  id: number;
  name: string;
  email: string | null;
  organization_id: number | null;
}

export interface FakeZendeskOrganization {
  id: number;
  name: string;
  domain_names: string[];
}

export interface FakeZendeskTicket {
  id: number;
  status: string;
  priority: string | null;
  subject: string;
  tags: string[];
  requester_id: number;
  organization_id: number | null;
  created_at: string;
  updated_at: string;
}

export class FakeZendesk {
  readonly users = new Map<string, FakeZendeskUser>();
  readonly organizations = new Map<string, FakeZendeskOrganization>();
  /** Tickets for the incremental export, by id. */
  readonly tickets = new Map<string, FakeZendeskTicket>();
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultSwitch();
  readonly now: Clock;
  private readonly window: RollingWindow;
  /** Export cursors handed out, and the start_time each belongs to. */
  private readonly cursorStarts = new Map<string, string>();

  constructor(private readonly opts: FakeZendeskOptions) {
    this.now = opts.now ?? Date.now;
    this.window = new RollingWindow(opts.perMinute ?? 200, 60_000);
  }

  addUser(id: number, email: string | null, organizationId: number | null = null, name = "Requester"): void {
    this.users.set(String(id), { id, name, email, organization_id: organizationId });
  }

  addOrganization(id: number, domainNames: string[], name = "Organization"): void {
    this.organizations.set(String(id), { id, name, domain_names: domainNames });
  }

  addTicket(t: Omit<FakeZendeskTicket, "tags" | "priority" | "organization_id"> & Partial<FakeZendeskTicket>): void {
    this.tickets.set(String(t.id), { tags: [], priority: null, organization_id: null, ...t });
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
    if (fault !== null) return json(fault, { error: fault === 429 ? "TooManyRequests" : "InternalError" }, fault === 429 ? { "retry-after": "7" } : {});
    const expected = `Basic ${btoa(`${this.opts.email}/token:${this.opts.token}`)}`;
    if (req.headers.get("authorization") !== expected) return json(401, { error: "Couldn't authenticate you" });
    const slot = this.window.take(now);
    if (!slot.ok) return json(429, { error: "TooManyRequests", description: "Rate limit exceeded" }, { "retry-after": String(Math.ceil(slot.retryAfterMs / 1000)) });
    const path = new URL(req.url).pathname;
    if (req.method !== "GET") return json(405, { error: "MethodNotAllowed" });
    if (path === "/api/v2/incremental/tickets/cursor.json") return this.exportTickets(new URL(req.url), now);
    let m = /^\/api\/v2\/users\/(\d+)\.json$/.exec(path);
    if (m) {
      const user = this.users.get(m[1]!);
      return user ? json(200, { user: { ...user, url: `${new URL(req.url).origin}/api/v2/users/${user.id}.json`, role: "end-user", active: true } }) : notFound();
    }
    m = /^\/api\/v2\/organizations\/(\d+)\.json$/.exec(path);
    if (m) {
      const org = this.organizations.get(m[1]!);
      return org ? json(200, { organization: { ...org, url: `${new URL(req.url).origin}/api/v2/organizations/${org.id}.json`, tags: [] } }) : notFound();
    }
    return json(404, { error: "InvalidEndpoint", description: `No route for ${path}` });
  }

  /**
   * GET /api/v2/incremental/tickets/cursor.json: `start_time` (epoch seconds, at least a minute ago) for the
   * first page, then `cursor` (the previous after_cursor); `per_page` up to 1000; `end_of_stream` on the last.
   * https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based
   */
  private exportTickets(url: URL, now: number): Response {
    const q = url.searchParams;
    const perPage = Number(q.get("per_page") ?? "1000");
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) return json(400, { error: "InvalidValue", description: "per_page must be between 1 and 1000" });
    const cursor = q.get("cursor");
    const start = q.get("start_time");
    let since: number;
    let from = 0;
    const all = [...this.tickets.values()].sort(byUpdate);
    if (cursor !== null) {
      const m = /^export:(\d+)$/.exec(atob(cursor));
      if (!m) return json(400, { error: "InvalidValue", description: "Invalid cursor" });
      const [startS, index] = [Number(this.cursorStarts.get(cursor) ?? NaN), Number(m[1])];
      if (!Number.isFinite(startS)) return json(400, { error: "InvalidValue", description: "Invalid cursor" });
      since = startS;
      from = index;
    } else {
      if (start === null || !/^\d+$/.test(start)) return json(400, { error: "InvalidValue", description: "start_time or cursor is required" });
      since = Number(start);
      if (since * 1000 > now - 60_000) return json(400, { error: "InvalidValue", description: "Too recent start_time. Use a start_time older than 1 minute." });
    }
    const matching = all.filter((t) => Date.parse(t.updated_at) >= since * 1000);
    const page = matching.slice(from, from + perPage);
    const end = from + perPage >= matching.length;
    const after = exportCursor(from + page.length);
    this.cursorStarts.set(after, String(since));
    return json(200, {
      tickets: page.map((t) => ({ ...t, url: `${url.origin}/api/v2/tickets/${t.id}.json`, via: { channel: "email" } })),
      after_cursor: after,
      before_cursor: null,
      after_url: `${url.origin}${url.pathname}?cursor=${after}`,
      end_of_stream: end,
    });
  }
}

const exportCursor = (index: number) => btoa(`export:${index}`).replace(/=+$/, "");

/** Shared by the fake's export: tickets by update time, then id. */
function byUpdate(a: FakeZendeskTicket, b: FakeZendeskTicket): number {
  return Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id;
}

function notFound(): Response {
  return json(404, { error: "RecordNotFound", description: "Not found" });
}
