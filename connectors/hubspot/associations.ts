import { z } from "zod";
import type { ActionPayload } from "../../src/core/actions";
import type { ConnectorDeps, DeliveryOutcome, OutboxAction } from "../connector";
import type { Gate } from "./batch";
import { callHubSpot, classifyHubSpotFailure, networkFailure } from "./http";

type AssociationsPayload = Extract<ActionPayload, { type: "hubspot.associations" }>;

/** HubSpot's documented v4 association answer; the ids come as numbers (older portals: strings). */
const associationsPageSchema = z.looseObject({
  results: z.array(
    z.looseObject({
      toObjectId: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]),
      associationTypes: z.array(z.looseObject({ typeId: z.number().int().optional(), label: z.string().nullable().optional() })).default([]),
    }),
  ),
  paging: z.looseObject({ next: z.looseObject({ after: z.string() }).optional() }).optional(),
});

/** HUBSPOT_DEFINED "Primary" association type ids to a company: contact 1, deal 5, ticket 339. */
const PRIMARY_TYPE_IDS: Record<AssociationsPayload["objectType"], number> = { contacts: 1, deals: 5, tickets: 339 };

/** The most a record has of one association kind per page (HubSpot's own maximum). */
const PAGE_LIMIT = 500;
/** A record associated with more companies than this is read no further: the primary comes first anyway. */
const MAX_PAGES = 4;

export interface AssociationsResult {
  objectType: AssociationsPayload["objectType"];
  objectId: string;
  /** Associated company ids, the primary first. */
  companies: string[];
}

export const associationsResultSchema = z.object({
  objectType: z.enum(["deals", "tickets", "contacts"]),
  objectId: z.string(),
  companies: z.array(z.string()),
});

/**
 * The companies a deal, ticket or contact is associated with, every page of them.
 * https://developers.hubspot.com/docs/api-reference/crm-associations-v4/basic/get-crm-v4-objects-objectType-objectId-associations-toObjectType
 */
export async function deliverAssociations(action: OutboxAction<AssociationsPayload>, deps: ConnectorDeps, gate: Gate): Promise<DeliveryOutcome> {
  const { id } = action;
  const { objectType, objectId } = action.payload;
  if (gate.failure) return { id, ...gate.failure, error: `not sent: ${gate.failure.error}` };
  const primary: string[] = [];
  const others: string[] = [];
  let after: string | null = null;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
      if (after) query.set("after", after);
      const reply = await callHubSpot(deps, "GET", `/crm/v4/objects/${objectType}/${objectId}/associations/companies?${query}`);
      if (reply.status !== 200) {
        const failure = classifyHubSpotFailure(reply, deps.now());
        if (failure.status === "retry") gate.failure = failure;
        return { id, ...failure };
      }
      const parsed = associationsPageSchema.safeParse(reply.body);
      if (!parsed.success) return { id, status: "permanent", error: "HubSpot's associations answer did not have the documented shape (results, paging)" };
      for (const r of parsed.data.results) {
        const isPrimary = r.associationTypes.some((t) => t.typeId === PRIMARY_TYPE_IDS[objectType] || t.label === "Primary");
        (isPrimary ? primary : others).push(String(r.toObjectId));
      }
      const next = parsed.data.paging?.next?.after ?? null;
      if (!next || next === after) break;
      after = next;
    }
  } catch (err) {
    gate.failure = networkFailure(err);
    return { id, ...gate.failure };
  }
  const companies = [...new Set([...primary, ...others])];
  const result: AssociationsResult = { objectType, objectId, companies };
  return { id, status: "delivered", result };
}
