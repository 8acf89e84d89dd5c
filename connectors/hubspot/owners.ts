import { z } from "zod";
import type { ConnectorDeps } from "../connector";
import { callHubSpot } from "./http";

const ownerSchema = z.looseObject({ email: z.string().optional() });

/**
 * The email of a HubSpot owner (the company's `hubspot_owner_id`), so a Slack alert can mention them.
 * Best effort: without a HubSpot token, or on any error, there is simply no mention.
 * https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide
 */
export async function hubspotOwnerEmail(deps: ConnectorDeps, ownerId: string | undefined): Promise<string | undefined> {
  if (!ownerId || !deps.cfg.HUBSPOT_ACCESS_TOKEN || !/^\d+$/.test(ownerId)) return undefined;
  try {
    const reply = await callHubSpot(deps, "GET", `/crm/v3/owners/${ownerId}`);
    return reply.status === 200 ? ownerSchema.safeParse(reply.body).data?.email : undefined;
  } catch {
    return undefined;
  }
}
