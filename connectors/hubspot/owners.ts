import { z } from "zod";
import type { ActionPayload } from "../../src/core/actions";
import type { ConnectorDeps, DeliveryOutcome, OutboxAction } from "../connector";
import { errorFields, log } from "../../src/log";
import type { Gate } from "./batch";
import { callHubSpot, classifyHubSpotFailure, networkFailure } from "./http";

const ownerSchema = z.looseObject({ email: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional() });
const listedOwnerSchema = ownerSchema.extend({ id: z.coerce.string() });
const ownersPageSchema = z.looseObject({
  results: z.array(z.unknown()),
  paging: z.looseObject({ next: z.looseObject({ after: z.string() }).optional() }).optional(),
});

type OwnersPagePayload = Extract<ActionPayload, { type: "hubspot.owners_page" }>;
export type OwnerProfile = { id: string; name: string | null; email: string | null };

/** HubSpot's largest owners page. */
export const OWNERS_PAGE_SIZE = 100;

const displayName = (o: z.infer<typeof ownerSchema>) =>
  [o.firstName, o.lastName].filter((part) => part && part.trim()).join(" ").trim() || null;

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
    if (owner) await rememberOwners(deps, [{ id: ownerId, name: displayName(owner), email: owner.email ?? null }]);
    return owner?.email;
  } catch {
    return undefined;
  }
}

/**
 * One page of `GET /crm/v3/owners`: every owner on it is stored (name and email), and the result carries the
 * next cursor, from which the outbox plans the next page. Entries HubSpot sends without an id are skipped.
 * https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide
 */
export async function deliverOwnersPage(action: OutboxAction<OwnersPagePayload>, deps: ConnectorDeps, gate: Gate): Promise<DeliveryOutcome> {
  const { id } = action;
  if (gate.failure) return { id, ...gate.failure, error: `not sent: ${gate.failure.error}` };
  const query = new URLSearchParams({ limit: String(OWNERS_PAGE_SIZE), archived: "false" });
  if (action.payload.after) query.set("after", action.payload.after);
  try {
    const reply = await callHubSpot(deps, "GET", `/crm/v3/owners?${query}`);
    if (reply.status !== 200) {
      const failure = classifyHubSpotFailure(reply, deps.now());
      if (failure.status === "retry") gate.failure = failure;
      return { id, ...failure };
    }
    const page = ownersPageSchema.safeParse(reply.body);
    if (!page.success) return { id, status: "permanent", error: "HubSpot's owners list did not have the documented shape (results, paging)" };
    const owners = page.data.results.flatMap((raw) => {
      const o = listedOwnerSchema.safeParse(raw);
      return o.success ? [{ id: o.data.id, name: displayName(o.data), email: o.data.email?.toLowerCase() ?? null }] : [];
    });
    await deps.rememberOwners?.(owners);
    const next = page.data.paging?.next?.after ?? null;
    return { id, status: "delivered", result: { owners: owners.length, next: next && next !== action.payload.after ? next : null } };
  } catch (err) {
    gate.failure = networkFailure(err);
    return { id, ...gate.failure };
  }
}

/** A failure to store a looked-up name must not cost the alert its mention: logged, not thrown. */
async function rememberOwners(deps: ConnectorDeps, owners: OwnerProfile[]): Promise<void> {
  try {
    await deps.rememberOwners?.(owners);
  } catch (err) {
    log("warn", "could not store a HubSpot owner", { ownerId: owners[0]?.id, ...errorFields(err) });
  }
}
