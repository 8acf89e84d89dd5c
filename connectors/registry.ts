import type { Destination } from "../src/core/actions";
import type { Connector } from "./connector";
import { hubspotConnector } from "./hubspot";
import { slackConnector } from "./slack";
import { stripeConnector } from "./stripe";

/** One connector per destination. */
export const connectors: Record<Destination, Connector> = {
  hubspot: hubspotConnector,
  slack: slackConnector,
  stripe: stripeConnector,
};

export function connectorFor(destination: Destination): Connector {
  return connectors[destination];
}
