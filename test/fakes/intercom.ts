import { http, HttpResponse } from "msw";

/**
 * A fake Intercom REST API, as far as a declared destination uses it: POST /companies (create or update by
 * company_id; https://developers.intercom.com/docs/references/rest-api/api.intercom.io/companies/createorupdatecompany).
 * Like Intercom: a bearer token or 401 with an error.list; custom attributes must exist as data attributes first;
 * a per-window rate limit answered with 429, X-RateLimit-* headers and Retry-After.
 */

export interface FakeIntercomOptions {
  token: string;
  base: string;
  /** Calls per window before 429. */
  limit?: number;
  windowMs?: number;
  now?: () => number;
  /** Company data attributes that exist in the workspace. */
  attributes?: string[];
}

const errorList = (status: number, code: string, message: string) =>
  HttpResponse.json({ type: "error.list", request_id: crypto.randomUUID(), errors: [{ code, message }] }, { status });

export class FakeIntercom {
  readonly companies = new Map<string, { company_id: string; custom_attributes: Record<string, unknown>; updates: number }>();
  calls = 0;
  private windowStart = 0;
  private inWindow = 0;

  constructor(private readonly o: FakeIntercomOptions) {}

  /** A new rate-limit window starts (as after Intercom's X-RateLimit-Reset). */
  nextWindow(): void {
    this.inWindow = 0;
    this.windowStart = (this.o.now ?? Date.now)();
  }

  handler() {
    return http.post(`${this.o.base}/companies`, async ({ request }) => {
      this.calls++;
      const now = (this.o.now ?? Date.now)();
      const windowMs = this.o.windowMs ?? 10_000;
      if (now - this.windowStart >= windowMs) [this.windowStart, this.inWindow] = [now, 0];
      const limit = this.o.limit ?? 1000;
      const reset = Math.ceil((this.windowStart + windowMs) / 1000);
      const rate = { "X-RateLimit-Limit": String(limit), "X-RateLimit-Reset": String(reset) };
      if (request.headers.get("authorization") !== `Bearer ${this.o.token}`) return errorList(401, "unauthorized", "Access Token Invalid");
      if (++this.inWindow > limit) {
        return HttpResponse.json(
          { type: "error.list", errors: [{ code: "rate_limit_exceeded", message: "Exceeded rate limit" }] },
          { status: 429, headers: { ...rate, "X-RateLimit-Remaining": "0", "Retry-After": String(Math.max(1, reset - Math.floor(now / 1000))) } },
        );
      }
      const body = (await request.json().catch(() => null)) as { company_id?: unknown; custom_attributes?: Record<string, unknown> } | null;
      if (!body || typeof body.company_id !== "string" || body.company_id === "") return errorList(400, "parameter_invalid", "company_id must be a string");
      const attrs = body.custom_attributes ?? {};
      const unknown = Object.keys(attrs).filter((k) => !(this.o.attributes ?? []).includes(k));
      if (unknown.length > 0) return errorList(400, "parameter_invalid", `Custom attribute '${unknown[0]}' does not exist`);
      const prev = this.companies.get(body.company_id);
      const company = { company_id: body.company_id, custom_attributes: { ...prev?.custom_attributes, ...attrs }, updates: (prev?.updates ?? 0) + 1 };
      this.companies.set(body.company_id, company);
      return HttpResponse.json({ type: "company", id: `6${body.company_id.length}0a1b2c`, company_id: company.company_id, custom_attributes: company.custom_attributes }, { headers: { ...rate, "X-RateLimit-Remaining": String(limit - this.inWindow) } });
    });
  }
}
