import { z } from "zod";
import type { ConnectorDeps } from "../connector";
import { errorFields, log } from "../../src/log";
import { callHubSpot } from "./http";

const ownerSchema = z.looseObject({ email: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional() });

/**
 * The email of a HubSpot owner (the company's `hubspot_owner_id`), so a Slack alert can mention them.
 * Best effort: without a HubSpot token, or on any error, there is simply no mention. The owner's name is
 * remembered on the way, for the dashboard.
 * https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide
 */
export async function hubspotOwnerEmail(deps: ConnectorDeps, ownerId: string | undefined): Promise<string | undefined> {
  if (!ownerId || !deps.cfg.HUBSPOT_ACCESS_TOKEN || !/^\d+$/.test(ownerId)) return undefined;
  try {
    const reply = await callHubSpot(deps, "GET", `/crm/v3/owners/${ownerId}`);
    const owner = reply.status === 200 ? ownerSchema.safeParse(reply.body).data : undefined;
    if (owner) await rememberOwner(deps, ownerId, owner);
    return owner?.email;
  } catch {
    return undefined;
  }
}

/** A failure to store the name must not cost the alert its mention: logged, not thrown. */
async function rememberOwner(deps: ConnectorDeps, id: string, o: z.infer<typeof ownerSchema>): Promise<void> {
  const name = [o.firstName, o.lastName].filter((part) => part && part.trim()).join(" ").trim();
  try {
    await deps.rememberOwner?.({ id, name: name || null, email: o.email ?? null });
  } catch (err) {
    log("warn", "could not store a HubSpot owner", { ownerId: id, ...errorFields(err) });
  }
}
