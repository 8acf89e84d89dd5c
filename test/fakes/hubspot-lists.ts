import { json, type Clock } from "./common";
import type { FakeCompany } from "./hubspot";
import { hubspotError } from "./hubspot-properties";

/**
 * HubSpot's CRM list endpoints (GET /crm/v3/objects/{companies|contacts|deals}): ordered by id,
 * `limit` 1–100 (default 10), an opaque `after` cursor in paging.next, only the requested properties
 * (plus hs_object_id and the create/modify dates; a requested property with no value is null, one the
 * portal does not define is left out), `associations=companies` adds the associated company ids.
 * https://developers.hubspot.com/docs/api-reference/crm-companies-v3/basic/get-crm-v3-objects-companies
 */

export interface FakeRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  companyIds: string[];
}

const OBJECTS = ["companies", "contacts", "deals", "tickets"] as const;
type ObjectType = (typeof OBJECTS)[number];

/** What HubSpot returns when `properties` is not given. */
const DEFAULT_PROPERTIES: Record<ObjectType, string[]> = {
  companies: ["name", "domain"],
  contacts: ["firstname", "lastname", "email"],
  deals: ["dealname", "amount", "closedate", "pipeline", "dealstage"],
  tickets: ["content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"],
};
const MODIFIED: Record<ObjectType, string> = { companies: "hs_lastmodifieddate", contacts: "lastmodifieddate", deals: "hs_lastmodifieddate", tickets: "hs_lastmodifieddate" };
const SINGULAR: Record<ObjectType, string> = { companies: "company", contacts: "contact", deals: "deal", tickets: "ticket" };

export class HubSpotLists {
  readonly contacts = new Map<string, FakeRecord>();
  readonly deals = new Map<string, FakeRecord>();
  readonly tickets = new Map<string, FakeRecord>();
  private nextId = 5_000_001;

  constructor(
    private readonly companies: Map<string, FakeCompany>,
    /** Whether the portal defines a company property. */
    private readonly companyProperty: (name: string) => boolean,
    private readonly now: Clock,
  ) {}

  addContact(properties: Record<string, string>, companyIds: string[] = [], id?: string): string {
    return this.add(this.contacts, properties, companyIds, id);
  }

  addDeal(properties: Record<string, string>, companyIds: string[] = [], id?: string): string {
    return this.add(this.deals, properties, companyIds, id);
  }

  addTicket(properties: Record<string, string>, companyIds: string[] = [], id?: string): string {
    return this.add(this.tickets, properties, companyIds, id);
  }

  private add(into: Map<string, FakeRecord>, properties: Record<string, string>, companyIds: string[], id?: string): string {
    const key = id ?? String(this.nextId++);
    const at = new Date(this.now()).toISOString();
    into.set(key, { id: key, properties: { ...properties }, createdAt: at, updatedAt: at, companyIds: [...companyIds] });
    return key;
  }

  /** Serves the list endpoints; null for any other request. */
  handle(method: string, url: URL): Response | null {
    const m = /^\/crm\/v3\/objects\/(companies|contacts|deals|tickets)\/?$/.exec(url.pathname);
    if (method !== "GET" || !m) return null;
    const type = m[1] as ObjectType;
    const q = url.searchParams;
    const limit = q.has("limit") ? Number(q.get("limit")) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return hubspotError(400, "VALIDATION_ERROR", `limit must be an integer between 1 and 100 (got ${q.get("limit")})`);
    }
    const requested = q.getAll("properties").flatMap((p) => p.split(",")).map((p) => p.trim()).filter(Boolean);
    const names = requested.length ? requested : DEFAULT_PROPERTIES[type];
    const withCompanies = q.getAll("associations").flatMap((a) => a.split(",")).some((a) => a.trim() === "companies" || a.trim() === "company");
    const after = q.get("after");
    const all = this.records(type).sort((a, b) => Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : 1));
    const start = after === null ? 0 : all.findIndex((r) => Number(r.id) >= Number(after));
    const slice = start < 0 ? [] : all.slice(start, start + limit);
    const nextRecord = start < 0 ? undefined : all[start + limit];
    const results = slice.map((r) => this.view(type, r, names, withCompanies));
    const paging = nextRecord ? { paging: { next: { after: nextRecord.id, link: `${url.origin}${url.pathname}?after=${nextRecord.id}` } } } : {};
    return json(200, { results, ...paging });
  }

  private records(type: ObjectType): FakeRecord[] {
    if (type === "contacts") return [...this.contacts.values()];
    if (type === "deals") return [...this.deals.values()];
    if (type === "tickets") return [...this.tickets.values()];
    return [...this.companies.values()].map((c) => ({ ...c, companyIds: [] }));
  }

  private view(type: ObjectType, r: FakeRecord, names: string[], withCompanies: boolean): Record<string, unknown> {
    const properties: Record<string, string | null> = {};
    for (const name of names) {
      if (name in r.properties) properties[name] = r.properties[name]!;
      else if (type !== "companies" || this.companyProperty(name)) properties[name] = null;
    }
    Object.assign(properties, { hs_object_id: r.id, createdate: r.createdAt, [MODIFIED[type]]: r.updatedAt });
    const view: Record<string, unknown> = { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: false };
    if (withCompanies && r.companyIds.length > 0) {
      view.associations = { companies: { results: r.companyIds.map((id) => ({ id, type: `${SINGULAR[type]}_to_company` })) } };
    }
    return view;
  }
}
