import { z } from "zod";
import type { ActionPayload } from "../../src/core/actions";
import { isoTime } from "../../src/core/time";
import type { ConnectorDeps } from "../connector";
import { callHubSpot, classifyHubSpotFailure, type HubSpotFailure } from "./http";

type NotePayload = Extract<ActionPayload, { type: "hubspot.note" }>;

export type NoteSearch = { status: "found"; noteId: string } | { status: "absent" } | { status: "failed"; failure: HubSpotFailure };

const searchSchema = z.looseObject({
  results: z.array(z.looseObject({ id: z.coerce.string(), properties: z.looseObject({ hs_note_body: z.string().nullish() }) })).default([]),
  paging: z.looseObject({ next: z.looseObject({ after: z.coerce.string() }).optional() }).optional(),
});

/** The search API returns at most 200 a page; a company rarely has more than one note at one instant. */
const PAGE_LIMIT = 100;
const MAX_PAGES = 5;

/**
 * Looks for a note an earlier attempt created: on the same company, at the same hs_timestamp, with the same
 * body. Search results lag writes by a few seconds, so a note created moments ago may be missed.
 * https://developers.hubspot.com/docs/api-reference/search/guide
 */
export async function findEarlierNote(deps: ConnectorDeps, note: NotePayload): Promise<NoteSearch> {
  const at = isoTime(note.timestamp);
  if (!at) return { status: "absent" };
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await callHubSpot(deps, "POST", "/crm/v3/objects/notes/search", {
      filterGroups: [
        {
          filters: [
            { propertyName: "associations.company", operator: "EQ", value: note.companyId },
            { propertyName: "hs_timestamp", operator: "EQ", value: String(Date.parse(at)) },
          ],
        },
      ],
      properties: ["hs_note_body", "hs_timestamp"],
      limit: PAGE_LIMIT,
      ...(after ? { after } : {}),
    });
    if (reply.status !== 200) {
      const failure = classifyHubSpotFailure(reply, deps.now());
      // Without the search (a missing scope, say) the note is created again, as before this lookup existed.
      return failure.status === "retry" ? { status: "failed", failure } : { status: "absent" };
    }
    const parsed = searchSchema.safeParse(reply.body);
    if (!parsed.success) return { status: "failed", failure: { status: "retry", error: "HubSpot note search answered without results" } };
    const hit = parsed.data.results.find((r) => r.properties.hs_note_body === note.body);
    if (hit) return { status: "found", noteId: hit.id };
    after = parsed.data.paging?.next?.after;
    if (!after) break;
  }
  return { status: "absent" };
}
