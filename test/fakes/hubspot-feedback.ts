import { z } from "zod";
import { json, type Clock } from "./common";
import type { FakeRecord } from "./hubspot-lists";
import { hubspotError } from "./hubspot-properties";

/**
 * HubSpot's survey responses and the contacts batch read, as Tenure's poll meets them:
 * - POST /crm/v3/objects/feedback_submissions/search: up to 5 filter groups (ORed) of up to 6 filters (ANDed),
 *   EQ/GT/GTE/LT/LTE on `hs_createdate` (epoch ms), one sort on it, `limit` up to 200, `after` an offset, and
 *   no result past the 10,000th (400);
 * - POST /crm/v3/objects/contacts/batch/read: at most 100 inputs; ids it does not know come back as 207 errors.
 * Property values are strings, as HubSpot serves them.
 * https://developers.hubspot.com/docs/api-reference/search/guide
 * https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/batch/post-crm-v3-objects-contacts-batch-read
 */
export interface FakeFeedbackSubmission {
  id: string;
  createdAt: number;
  properties: Record<string, string>;
}

const filterSchema = z.object({ propertyName: z.string(), operator: z.string(), value: z.coerce.string() });
const searchSchema = z.object({
  filterGroups: z.array(z.object({ filters: z.array(filterSchema).max(6) })).max(5).default([]),
  sorts: z.array(z.object({ propertyName: z.string(), direction: z.enum(["ASCENDING", "DESCENDING"]) })).max(1).default([]),
  properties: z.array(z.string()).default([]),
  limit: z.number().int().min(1).max(200).default(10),
  after: z.string().regex(/^\d+$/).optional(),
});
const batchReadSchema = z.object({ properties: z.array(z.string()).default([]), inputs: z.array(z.object({ id: z.coerce.string() })) });

const COMPARE: Record<string, (a: number, b: number) => boolean> = { EQ: (a, b) => a === b, GT: (a, b) => a > b, GTE: (a, b) => a >= b, LT: (a, b) => a < b, LTE: (a, b) => a <= b };
const SEARCH_CAP = 10_000;

export class HubSpotFeedback {
  readonly submissions: FakeFeedbackSubmission[] = [];
  private nextId = 7_000_001;

  constructor(
    private readonly contacts: Map<string, FakeRecord>,
    private readonly now: Clock,
  ) {}

  /** A survey response as HubSpot stores it; `at` is when it was submitted (and created). */
  addSubmission(surveyType: string, value: string, contactId: string | null, at: number, extra: Record<string, string> = {}, id = String(this.nextId++)): string {
    const properties: Record<string, string> = { hs_survey_type: surveyType, hs_value: value, hs_survey_id: "5", hs_survey_channel: "EMAIL", hs_submission_timestamp: new Date(at).toISOString(), ...extra };
    if (contactId !== null) properties.hs_contact_id = contactId;
    this.submissions.push({ id, createdAt: at, properties });
    return id;
  }

  /** Serves the two endpoints; null for any other request. */
  handle(method: string, url: URL, rawBody: string): Response | null {
    if (method !== "POST") return null;
    if (url.pathname === "/crm/v3/objects/feedback_submissions/search") return this.search(parseJson(rawBody));
    if (url.pathname === "/crm/v3/objects/contacts/batch/read") return this.readContacts(parseJson(rawBody));
    return null;
  }

  private search(body: unknown): Response {
    const parsed = searchSchema.safeParse(body);
    if (!parsed.success) return hubspotError(400, "VALIDATION_ERROR", `Invalid search: ${parsed.error.issues[0]!.path.join(".")} ${parsed.error.issues[0]!.message}`);
    const { filterGroups, sorts, properties, limit } = parsed.data;
    const after = Number(parsed.data.after ?? "0");
    if (after + limit > SEARCH_CAP) return hubspotError(400, "VALIDATION_ERROR", `Search results are limited to ${SEARCH_CAP} records; after=${after} with limit=${limit} goes past it`);
    for (const f of [...filterGroups.flatMap((g) => g.filters), ...sorts]) {
      if (f.propertyName !== "hs_createdate") return hubspotError(400, "VALIDATION_ERROR", `The fake filters and sorts only on hs_createdate, not ${f.propertyName}`);
      if ("operator" in f && (!COMPARE[f.operator] || !/^\d+$/.test(f.value))) return hubspotError(400, "VALIDATION_ERROR", `Invalid filter ${f.operator} ${f.value} on hs_createdate`);
    }
    const holds = (s: FakeFeedbackSubmission, f: z.infer<typeof filterSchema>) => COMPARE[f.operator]!(s.createdAt, Number(f.value));
    const matches = this.submissions.filter((s) => filterGroups.length === 0 || filterGroups.some((g) => g.filters.every((f) => holds(s, f))));
    const down = sorts[0]?.direction === "DESCENDING";
    matches.sort((a, b) => (down ? b.createdAt - a.createdAt : a.createdAt - b.createdAt) || Number(a.id) - Number(b.id));
    const page = matches.slice(after, after + limit);
    const results = page.map((s) => {
      const created = new Date(s.createdAt).toISOString();
      const props: Record<string, string | null> = {};
      for (const name of properties) props[name] = s.properties[name] ?? null;
      Object.assign(props, { hs_object_id: s.id, hs_createdate: created, hs_lastmodifieddate: created });
      return { id: s.id, properties: props, createdAt: created, updatedAt: created, archived: false };
    });
    const next = after + limit < matches.length ? { paging: { next: { after: String(after + limit) } } } : {};
    return json(200, { total: matches.length, results, ...next });
  }

  private readContacts(body: unknown): Response {
    const parsed = batchReadSchema.safeParse(body);
    if (!parsed.success) return hubspotError(400, "VALIDATION_ERROR", `Invalid input: ${parsed.error.issues[0]!.message}`);
    const { inputs, properties } = parsed.data;
    if (inputs.length > 100) return hubspotError(400, "VALIDATION_ERROR", `Batch input size ${inputs.length} exceeds the limit of 100 inputs`);
    const at = new Date(this.now()).toISOString();
    const results = inputs.flatMap(({ id }) => {
      const c = this.contacts.get(id);
      if (!c) return [];
      // HubSpot keeps a contact's primary company in `associatedcompanyid`.
      const known: Record<string, string> = { ...c.properties, ...(c.companyIds[0] ? { associatedcompanyid: c.companyIds[0] } : {}) };
      const props: Record<string, string | null> = { hs_object_id: id, createdate: c.createdAt, lastmodifieddate: c.updatedAt };
      for (const name of properties) props[name] = known[name] ?? null;
      return [{ id, properties: props, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: false }];
    });
    const missing = inputs.map((i) => i.id).filter((id) => !this.contacts.has(id));
    if (missing.length === 0) return json(200, { status: "COMPLETE", results, startedAt: at, completedAt: at });
    const error = { status: "error", category: "OBJECT_NOT_FOUND", message: "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.", context: { ids: missing } };
    return json(207, { status: "COMPLETE", results, numErrors: 1, errors: [error], startedAt: at, completedAt: at });
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
