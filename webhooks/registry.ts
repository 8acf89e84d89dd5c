import type { SourceName } from "../src/core/events";
import type { WebhookSource } from "./source";
import { stripeSource } from "./stripe";

/** One line per source. */
export const sources: Partial<Record<SourceName, WebhookSource<any>>> = {
  stripe: stripeSource,
};
