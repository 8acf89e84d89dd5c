import type { ActionPayload } from "../src/core/actions";
import type { Config } from "../src/env";
import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "./connector";
import { deliverProperties, MAX_BATCH, type Gate } from "./hubspot/batch";
import { deliverNote } from "./hubspot/notes";
import { deliverOwnersPage } from "./hubspot/owners";
import { deliverAssociations } from "./hubspot/associations";

export { HUBSPOT_PROPERTIES, HUBSPOT_PROPERTY_GROUP, propertyDefinitions, setupHubspotProperties } from "./hubspot/properties";
export type { SetupResult } from "./hubspot/properties";

export const maxBatch = MAX_BATCH;

type Of<T extends ActionPayload["type"]> = OutboxAction<Extract<ActionPayload, { type: T }>>;

const isType =
  <T extends ActionPayload["type"]>(type: T) =>
  (a: OutboxAction): a is Of<T> =>
    a.payload.type === type;

/**
 * HubSpot: property writes go out as one batch update per 100 companies, notes one by one.
 * Everything rides on a private-app token (Authorization: Bearer).
 */
export const hubspotConnector: Connector = {
  destination: "hubspot",
  maxBatch,
  disabledReason(cfg: Config) {
    return cfg.HUBSPOT_ACCESS_TOKEN ? null : "HUBSPOT_ACCESS_TOKEN is not set";
  },
  async deliver(actions: OutboxAction[], deps: ConnectorDeps): Promise<DeliveryOutcome[]> {
    const gate: Gate = {};
    const outcomes = new Map<string, DeliveryOutcome>();
    for (const o of await deliverProperties(actions.filter(isType("hubspot.properties")), deps, gate)) {
      outcomes.set(o.id, o);
    }
    for (const note of actions.filter(isType("hubspot.note"))) outcomes.set(note.id, await deliverNote(note, deps, gate));
    for (const page of actions.filter(isType("hubspot.owners_page"))) outcomes.set(page.id, await deliverOwnersPage(page, deps, gate));
    for (const lookup of actions.filter(isType("hubspot.associations"))) outcomes.set(lookup.id, await deliverAssociations(lookup, deps, gate));
    return actions.map(
      (a) => outcomes.get(a.id) ?? { id: a.id, status: "permanent", error: `HubSpot cannot deliver ${a.payload.type}` },
    );
  },
};
