import type { SourceName } from "../src/core/events";
import type { WebhookSource } from "./source";
import { delightedSource } from "./delighted";
import { freshdeskSource } from "./freshdesk";
import { helpscoutSource } from "./helpscout";
import { hubspotSource } from "./hubspot";
import { intercomSource } from "./intercom";
import { segmentSource } from "./segment";
import { stripeSource } from "./stripe";
import { typeformSource } from "./typeform";
import { zendeskSource } from "./zendesk";

/** One line per source. */
export const sources: Partial<Record<SourceName, WebhookSource<any>>> = {
  stripe: stripeSource,
  hubspot: hubspotSource,
  zendesk: zendeskSource,
  intercom: intercomSource,
  freshdesk: freshdeskSource,
  helpscout: helpscoutSource,
  segment: segmentSource,
  delighted: delightedSource,
  typeform: typeformSource,
};
