import type { ActionPayload } from "../src/core/actions";
import { zendeskApiBase, type Config } from "../src/env";
import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "./connector";
import { deliverZendeskLookup } from "./zendesk/lookup";

/** Zendesk: read-only lookups of requesters and organizations (enrichment), one request per action. */
export const zendeskConnector: Connector = {
  destination: "zendesk",
  maxBatch: 1,
  disabledReason(cfg: Config) {
    const missing = [
      zendeskApiBase(cfg) ? null : "ZENDESK_SUBDOMAIN",
      cfg.ZENDESK_API_EMAIL ? null : "ZENDESK_API_EMAIL",
      cfg.ZENDESK_API_TOKEN ? null : "ZENDESK_API_TOKEN",
    ].filter((m) => m !== null);
    return missing.length === 0 ? null : `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`;
  },
  async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
    const out: DeliveryOutcome[] = [];
    for (const a of actions) {
      if (a.payload.type === "zendesk.lookup") out.push(await deliverZendeskLookup(a as OutboxAction<Extract<ActionPayload, { type: "zendesk.lookup" }>>, deps));
      else out.push({ id: a.id, status: "permanent", error: `Zendesk cannot deliver ${a.payload.type}` });
    }
    return out;
  },
};
