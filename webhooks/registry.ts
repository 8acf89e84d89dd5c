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
import { bundledPluginFiles } from "../plugins";
import { loadPlugins } from "../src/plugins/load";
import { log } from "../src/log";

/** One line per source. */
const builtInSources: Partial<Record<SourceName, WebhookSource<any>>> = {
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

/** Declared sources (plugins/*.json): a broken declaration is logged and listed, never served. */
export const declaredPlugins = loadPlugins(bundledPluginFiles, new Set([...Object.keys(builtInSources), "api"]), (b) =>
  log("error", "plugin declaration refused", { file: b.file, path: b.error.path, message: b.error.message }),
);

export const sources: Partial<Record<SourceName, WebhookSource<any>>> = { ...builtInSources, ...declaredPlugins.sources };
