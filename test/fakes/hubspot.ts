import { z } from "zod";
import { bearer, FaultSwitch, readBody, json, recordOf, RollingWindow, Stall, type Clock, type RecordedRequest } from "./common";
import { HubSpotLists } from "./hubspot-lists";
import { HubSpotAssociations } from "./hubspot-associations";
import { HubSpotFeedback } from "./hubspot-feedback";
import { hubspotError, PropertyStore, type FakeProperty } from "./hubspot-properties";
import { searchNotes } from "./hubspot-search";

/**
 * A HubSpot CRM that behaves like the real one where Tenure can tell the difference:
 * - private-app Bearer token, else 401;
 * - rolling 10-second burst limit (default 100) and an optional daily limit, both answering 429 with
 *   HubSpot's body (errorType RATE_LIMIT, policyName) and X-HubSpot-RateLimit-* headers;
 * - companies batch update: at most 100 inputs, no duplicate ids, every value validated against
 *   the property's type (one bad value rejects the whole batch with 400, nothing written);
 *   ids that do not exist come back as 207 Multi-Status errors (context.ids) while the rest are written,
 *   as HubSpot's batch endpoints do for missing records;
 * - property groups and typed properties (409 on duplicates), notes with a note-to-company association,
 *   and the notes search (associations.company and hs_timestamp filters, paged with `after`);
 * - survey responses and the contacts batch read (hubspot-feedback.ts).
 */
export interface FakeHubSpotOptions {
  token: string;
  now?: Clock;
  /** Requests per rolling 10 s (HubSpot: 100 for a private app on Free/Starter, 190 above). */
  burstMax?: number;
  /** Requests per UTC day; unlimited when unset. */
  dailyMax?: number;
}

export interface FakeCompany {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface FakeNote {
  id: string;
  properties: { hs_timestamp: string; hs_note_body: string };
  companyIds: string[];
}

const BURST_WINDOW_MS = 10_000;
const DAY_MS = 86_400_000;

/** HubSpot's cursors are opaque; this one is too, so a client cannot get away with passing an owner id. */
const ownerCursor = (id: string) => btoa(`owner:${id}`).replace(/=+$/, "");

export class FakeHubSpot {
  readonly companies = new Map<string, FakeCompany>();
  readonly notes: FakeNote[] = [];
  /** Owner id -> the owner's profile (GET /crm/v3/owners/:id). */
  readonly owners = new Map<string, { email: string; firstName?: string; lastName?: string }>();
  readonly requests: RecordedRequest[] = [];
  readonly props = new PropertyStore();
  /** The CRM list endpoints, and the contacts and deals only they serve. */
  readonly lists = new HubSpotLists(this.companies, (name) => this.props.properties.has(name), () => this.now());
  /** v4 associations from deals, tickets and contacts to companies. */
  readonly associations = new HubSpotAssociations((type, id) => this.lists[type].get(id)?.companyIds);
  /** Survey responses (feedback submissions search) and the contacts batch read. */
  readonly feedback = new HubSpotFeedback(this.lists.contacts, () => this.now());
  readonly faults = new FaultSwitch();
  /** Requests held unanswered (`stall.hangNext`) until `stall.release()`. */
  readonly stall = new Stall();
  readonly now: Clock;
  private readonly burst: RollingWindow;
  private daily = { day: -1, count: 0 };
  private nextObjectId = 1_000_001;

  constructor(private readonly opts: FakeHubSpotOptions) {
    this.now = opts.now ?? Date.now;
    this.burst = new RollingWindow(opts.burstMax ?? 100, BURST_WINDOW_MS);
  }

  addCompany(properties: Record<string, string> = {}): string {
    const id = String(this.nextObjectId++);
    const at = new Date(this.now()).toISOString();
    this.companies.set(id, { id, properties: { ...properties, hs_object_id: id }, createdAt: at, updatedAt: at });
    return id;
  }

  /** Defines company properties directly, as if an admin had created them in HubSpot's settings. */
  defineProperties(defs: readonly Omit<FakeProperty, "groupName">[], groupName = "companyinformation"): void {
    for (const d of defs) this.props.properties.set(d.name, { ...d, groupName });
  }

  failNext(n: number, status: number): void {
    this.faults.failNext(n, status);
  }

  outage(untilMs: number): void {
    this.faults.outage(untilMs);
  }

  async handle(req: Request): Promise<Response> {
    const body = await readBody(req);
    return this.stall.around(async () => {
      const res = this.serve(req, body);
      this.requests.push(recordOf(req, body, res.status, this.now()));
      return res;
    });
  }

  private serve(req: Request, rawBody: string): Response {
    const now = this.now();
    const fault = this.faults.take(now);
    if (fault !== null) return faultResponse(fault);
    if (bearer(req) !== this.opts.token) {
      return hubspotError(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.");
    }
    const limited = this.takeQuota(now);
    if (limited) return limited;
    const url = new URL(req.url);
    const res = this.listOwners(req.method, url) ?? this.associations.handle(req.method, url) ?? this.feedback.handle(req.method, url, rawBody) ?? this.lists.handle(req.method, url) ?? this.route(req.method, url.pathname, rawBody);
    for (const [k, v] of Object.entries(this.limitHeaders(now))) res.headers.set(k, v);
    return res;
  }

  /**
   * GET /crm/v3/owners: owners by id, `limit` 1–500 (default 100), `after` the opaque cursor from paging.next,
   * archived owners only with `archived=true`.
   * https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide
   */
  private listOwners(method: string, url: URL): Response | null {
    if (method !== "GET" || !/^\/crm\/v3\/owners\/?$/.test(url.pathname)) return null;
    const limit = Number(url.searchParams.get("limit") ?? "100");
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return hubspotError(400, "VALIDATION_ERROR", `limit must be between 1 and 500, got ${url.searchParams.get("limit")}`);
    const after = url.searchParams.get("after");
    const ids = [...this.owners.keys()].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    const start = after === null ? 0 : ids.findIndex((id) => ownerCursor(id) === after) + 1;
    if (after !== null && start === 0) return hubspotError(400, "VALIDATION_ERROR", `Invalid after cursor ${after}`);
    const page = ids.slice(start, start + limit);
    const results = page.map((id) => ({ id, ...this.owners.get(id), userId: Number(id) + 1, archived: false, teams: [] }));
    const more = start + limit < ids.length;
    return json(200, { results, ...(more ? { paging: { next: { after: ownerCursor(page.at(-1)!), link: `${url.origin}${url.pathname}?after=${ownerCursor(page.at(-1)!)}` } } } : {}) });
  }

  private route(method: string, path: string, rawBody: string): Response {
    let body: unknown = null;
    if (rawBody !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return hubspotError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1");
      }
    }
    const parts = path.split("/").filter(Boolean);
    const [crm, v3, kind, object, ...rest] = parts;
    if (crm !== "crm" || v3 !== "v3") return hubspotError(404, "OBJECT_NOT_FOUND", `No route for ${path}`);
    if (kind === "properties" && object === "companies") return this.props.handle(method, rest, body);
    if (kind === "owners" && method === "GET" && object) {
      const owner = this.owners.get(object);
      return owner ? json(200, { id: object, ...owner, archived: false }) : hubspotError(404, "OBJECT_NOT_FOUND", `Owner ${object} not found`);
    }
    if (kind === "objects" && object === "companies") {
      if (method === "POST" && rest.join("/") === "batch/update") return this.batchUpdate(body);
      if (method === "GET" && rest.length === 1) return this.getCompany(rest[0]!);
    }
    if (kind === "objects" && object === "notes" && method === "POST" && rest.length === 0) return this.createNote(body);
    if (kind === "objects" && object === "notes" && method === "POST" && rest.join("/") === "search") return searchNotes(this.notes, body);
    return hubspotError(404, "OBJECT_NOT_FOUND", `No route for ${method} ${path}`);
  }

  private takeQuota(now: number): Response | null {
    const day = Math.floor(now / DAY_MS);
    if (this.daily.day !== day) this.daily = { day, count: 0 };
    if (this.opts.dailyMax !== undefined && this.daily.count >= this.opts.dailyMax) {
      return rateLimited("DAILY", "You have reached your daily limit.", this.limitHeaders(now));
    }
    const slot = this.burst.take(now);
    if (!slot.ok) {
      const headers = { ...this.limitHeaders(now), "retry-after": String(Math.ceil(slot.retryAfterMs / 1000)) };
      return rateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", headers);
    }
    this.daily.count += 1;
    return null;
  }

  private limitHeaders(now: number): Record<string, string> {
    const headers: Record<string, string> = {
      "x-hubspot-ratelimit-max": String(this.burst.max),
      "x-hubspot-ratelimit-remaining": String(this.burst.remaining(now)),
      "x-hubspot-ratelimit-interval-milliseconds": String(BURST_WINDOW_MS),
    };
    if (this.opts.dailyMax !== undefined) {
      headers["x-hubspot-ratelimit-daily"] = String(this.opts.dailyMax);
      headers["x-hubspot-ratelimit-daily-remaining"] = String(Math.max(0, this.opts.dailyMax - this.daily.count));
    }
    return headers;
  }

  private batchUpdate(body: unknown): Response {
    const parsed = batchInputSchema.safeParse(body);
    if (!parsed.success) return hubspotError(400, "VALIDATION_ERROR", `Invalid input: ${parsed.error.issues[0]!.message}`);
    const { inputs } = parsed.data;
    if (inputs.length > 100) {
      return hubspotError(400, "VALIDATION_ERROR", `Batch input size ${inputs.length} exceeds the limit of 100 inputs`);
    }
    const ids = inputs.map((i) => i.id);
    const dupes = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    if (dupes.length > 0) return hubspotError(400, "VALIDATION_ERROR", `Duplicate IDs found in batch input: [${dupes.join(", ")}]`);
    const invalid = inputs.flatMap((i) => this.props.validate(i.properties));
    if (invalid.length > 0) {
      return hubspotError(400, "VALIDATION_ERROR", `Property values were not valid: ${JSON.stringify(invalid)}`);
    }
    const startedAt = new Date(this.now()).toISOString();
    const missing = ids.filter((id) => !this.companies.has(id));
    const results = inputs.filter((i) => this.companies.has(i.id)).map((i) => this.writeCompany(i.id, i.properties));
    const completedAt = new Date(this.now()).toISOString();
    if (missing.length === 0) return json(200, { status: "COMPLETE", results, startedAt, completedAt });
    const error = {
      status: "error",
      category: "OBJECT_NOT_FOUND",
      message: "Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.",
      context: { ids: missing },
    };
    return json(207, { status: "COMPLETE", results, numErrors: 1, errors: [error], startedAt, completedAt });
  }

  /** Values were validated as strings already. */
  private writeCompany(id: string, properties: Record<string, unknown>): FakeCompany {
    const company = this.companies.get(id)!;
    for (const [k, v] of Object.entries(properties)) company.properties[k] = String(v);
    company.updatedAt = new Date(this.now()).toISOString();
    return { ...company, properties: { ...company.properties } };
  }

  private getCompany(id: string): Response {
    const c = this.companies.get(id);
    return c ? json(200, { ...c, archived: false }) : hubspotError(404, "OBJECT_NOT_FOUND", `Object not found. objectId: ${id}`);
  }

  private createNote(body: unknown): Response {
    const parsed = noteInputSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return hubspotError(400, "VALIDATION_ERROR", `Invalid note: ${issue.path.join(".")} ${issue.message}`);
    }
    const { properties, associations } = parsed.data;
    const companyIds: string[] = [];
    for (const a of associations) {
      const t = a.types[0]!;
      if (t.associationCategory !== "HUBSPOT_DEFINED" || t.associationTypeId !== 190) {
        return hubspotError(400, "VALIDATION_ERROR", `Invalid association type ${t.associationCategory}/${t.associationTypeId} from NOTE to COMPANY`);
      }
      if (!this.companies.has(a.to.id)) return hubspotError(400, "VALIDATION_ERROR", `One or more associations are invalid: COMPANY ${a.to.id} does not exist`);
      companyIds.push(a.to.id);
    }
    const id = String(this.nextObjectId++);
    const note: FakeNote = { id, properties: { hs_timestamp: properties.hs_timestamp, hs_note_body: properties.hs_note_body }, companyIds };
    this.notes.push(note);
    const at = new Date(this.now()).toISOString();
    return json(201, { id, properties: { ...note.properties, hs_object_id: id }, createdAt: at, updatedAt: at, archived: false });
  }
}

const batchInputSchema = z.object({
  inputs: z.array(z.object({ id: z.coerce.string(), properties: z.record(z.string(), z.unknown()) })),
});

const noteInputSchema = z.object({
  properties: z.object({
    hs_timestamp: z.string().refine((v) => /^\d+$/.test(v) || Number.isFinite(Date.parse(v)), "must be a date"),
    hs_note_body: z.string().max(65_536),
  }),
  associations: z
    .array(
      z.object({
        to: z.object({ id: z.coerce.string() }),
        types: z.array(z.object({ associationCategory: z.string(), associationTypeId: z.number() })).min(1),
      }),
    )
    .default([]),
});

function rateLimited(policyName: string, message: string, headers: Record<string, string>): Response {
  const body = { status: "error", message, errorType: "RATE_LIMIT", correlationId: crypto.randomUUID(), policyName };
  return json(429, body, headers);
}

/** HubSpot's edge answers gateway failures with an HTML page, not JSON. */
function faultResponse(status: number): Response {
  if (status >= 502 && status <= 504) {
    return new Response(`<html><body><h1>${status}</h1>Service unavailable</body></html>`, {
      status,
      headers: { "content-type": "text/html" },
    });
  }
  const category = status === 423 ? "LOCKED" : status === 429 ? "RATE_LIMIT" : "INTERNAL_ERROR";
  return hubspotError(status, category, `Injected failure ${status}`);
}
