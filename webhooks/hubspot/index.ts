import { defineSource } from "../source";
import { normalizeHubspot } from "./normalize";
import { hubspotPayloadSchema } from "./schema";
import { verifyHubspotSignature } from "./signature";

/**
 * HubSpot CRM webhooks (companies, contacts, deals, tickets), signed with the v3 scheme.
 * https://developers.hubspot.com/docs/api/webhooks
 */
export const hubspotSource = defineSource({
  name: "hubspot",
  secret: "HUBSPOT_CLIENT_SECRET",
  schema: hubspotPayloadSchema,
  verify: verifyHubspotSignature,
  normalize: (payload, _raw, ctx) => normalizeHubspot(payload, ctx),
});

export { HUBSPOT_CLOSED_TICKET_STAGES, HUBSPOT_ROLE_PROPERTY } from "./normalize";
