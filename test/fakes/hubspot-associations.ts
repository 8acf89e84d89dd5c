import { json } from "./common";
import { hubspotError } from "./hubspot-properties";

export type AssociatedType = "deals" | "tickets" | "contacts";

/** HUBSPOT_DEFINED association type ids to a company: [primary, unlabeled]. */
const TYPE_IDS: Record<AssociatedType, [number, number]> = { contacts: [1, 279], deals: [5, 341], tickets: [339, 26] };

const cursor = (companyId: string) => btoa(`assoc:${companyId}`).replace(/=+$/, "");

/**
 * HubSpot's v4 associations read, from deals, tickets and contacts to companies:
 * GET /crm/v4/objects/{type}/{id}/associations/companies?limit=&after=, `limit` at most 500, paged with an opaque
 * `after`; 404 for a record that does not exist; each result lists its association types (Primary labelled).
 * https://developers.hubspot.com/docs/api-reference/crm-associations-v4/basic/get-crm-v4-objects-objectType-objectId-associations-toObjectType
 */
export class HubSpotAssociations {
  /** `${type}:${id}` -> company ids in association order, the primary marked. */
  private readonly links = new Map<string, { companyId: string; primary: boolean }[]>();

  /** `listed` finds records made through the list endpoints' store, whose first company is the primary. */
  constructor(private readonly listed: (type: AssociatedType, id: string) => string[] | undefined = () => undefined) {}

  /** A record with no associations yet (its reads answer an empty list, not 404). */
  addRecord(type: AssociatedType, id: string): void {
    if (!this.links.has(`${type}:${id}`)) this.links.set(`${type}:${id}`, []);
  }

  associate(type: AssociatedType, id: string, companyId: string, primary = false): void {
    const list = this.links.get(`${type}:${id}`) ?? [];
    const kept = list.filter((l) => l.companyId !== companyId).map((l) => (primary ? { ...l, primary: false } : l));
    this.links.set(`${type}:${id}`, [...kept, { companyId, primary }]);
  }

  remove(type: AssociatedType, id: string, companyId: string): void {
    this.links.set(`${type}:${id}`, (this.links.get(`${type}:${id}`) ?? []).filter((l) => l.companyId !== companyId));
  }

  handle(method: string, url: URL): Response | null {
    const m = /^\/crm\/v4\/objects\/(deals|tickets|contacts)\/([^/]+)\/associations\/companies\/?$/.exec(url.pathname);
    if (method !== "GET" || !m) return null;
    const type = m[1] as AssociatedType;
    const id = m[2]!;
    const fromLists = this.listed(type, id)?.map((companyId, i) => ({ companyId, primary: i === 0 }));
    const list = this.links.get(`${type}:${id}`) ?? fromLists;
    if (!list) return hubspotError(404, "OBJECT_NOT_FOUND", `Object not found. objectId: ${id}`);
    const limit = Number(url.searchParams.get("limit") ?? "500");
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return hubspotError(400, "VALIDATION_ERROR", `limit must be between 1 and 500, got ${url.searchParams.get("limit")}`);
    const after = url.searchParams.get("after");
    const start = after === null ? 0 : list.findIndex((l) => cursor(l.companyId) === after) + 1;
    if (after !== null && start === 0) return hubspotError(400, "VALIDATION_ERROR", `Invalid after cursor ${after}`);
    const page = list.slice(start, start + limit);
    const [primaryId, plainId] = TYPE_IDS[type];
    const results = page.map((l) => ({
      toObjectId: Number(l.companyId),
      associationTypes: [
        ...(l.primary ? [{ category: "HUBSPOT_DEFINED", typeId: primaryId, label: "Primary" }] : []),
        { category: "HUBSPOT_DEFINED", typeId: plainId, label: null },
      ],
    }));
    const more = start + limit < list.length;
    const next = more ? cursor(page.at(-1)!.companyId) : null;
    return json(200, { results, ...(next ? { paging: { next: { after: next, link: `${url.origin}${url.pathname}?after=${next}` } } } : {}) });
  }
}
