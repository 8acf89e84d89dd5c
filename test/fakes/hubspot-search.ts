import { z } from "zod";
import { json } from "./common";
import type { FakeNote } from "./hubspot";
import { hubspotError } from "./hubspot-properties";

/**
 * POST /crm/v3/objects/notes/search: filter groups are ORed, filters inside a group ANDed; `EQ` on
 * `associations.company` and on `hs_timestamp` (epoch milliseconds), `limit` up to 200, paged with `after`.
 * https://developers.hubspot.com/docs/api-reference/search/guide
 */
const searchSchema = z.object({
  filterGroups: z
    .array(z.object({ filters: z.array(z.object({ propertyName: z.string(), operator: z.string(), value: z.coerce.string() })) }))
    .max(5)
    .default([]),
  properties: z.array(z.string()).default([]),
  limit: z.number().int().min(1).max(200).default(10),
  after: z.coerce.number().int().min(0).default(0),
});

type Filter = z.infer<typeof searchSchema>["filterGroups"][number]["filters"][number];

export function searchNotes(notes: readonly FakeNote[], body: unknown): Response {
  const parsed = searchSchema.safeParse(body);
  if (!parsed.success) return hubspotError(400, "VALIDATION_ERROR", `Invalid search: ${parsed.error.issues[0]!.message}`);
  const { filterGroups, limit, after } = parsed.data;
  for (const f of filterGroups.flatMap((g) => g.filters)) {
    if (f.operator !== "EQ" || !["associations.company", "hs_timestamp"].includes(f.propertyName)) {
      return hubspotError(400, "VALIDATION_ERROR", `The fake supports only EQ on associations.company and hs_timestamp, not ${f.operator} on ${f.propertyName}`);
    }
  }
  const matches = notes.filter((n) => filterGroups.length === 0 || filterGroups.some((g) => g.filters.every((f) => holds(n, f))));
  const page = matches.slice(after, after + limit);
  const next = after + limit < matches.length ? { paging: { next: { after: String(after + limit) } } } : {};
  return json(200, {
    total: matches.length,
    results: page.map((n) => ({ id: n.id, properties: { ...n.properties, hs_object_id: n.id }, archived: false })),
    ...next,
  });
}

function holds(n: FakeNote, f: Filter): boolean {
  if (f.propertyName === "associations.company") return n.companyIds.includes(f.value);
  return Date.parse(n.properties.hs_timestamp) === Number(f.value) || n.properties.hs_timestamp === f.value;
}
