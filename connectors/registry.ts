import type { Destination } from "../src/core/actions";
import type { Connector } from "./connector";
import { hubspotConnector } from "./hubspot";
import { slackConnector } from "./slack";
import { stripeConnector } from "./stripe";
import { zendeskConnector } from "./zendesk";
import { webhookOutConnector } from "./webhook-out";
import { declaredConnector } from "./declared";

/** One connector per destination. */
export const connectors: Record<Destination, Connector> = {
  hubspot: hubspotConnector,
  slack: slackConnector,
  stripe: stripeConnector,
  zendesk: zendeskConnector,
  webhook: webhookOutConnector,
  declared: declaredConnector,
};

export function connectorFor(destination: Destination): Connector {
  return connectors[destination];
}
