import type { ConnectorDeps } from "../../connectors/connector";
import type { Config } from "../env";
import type { Delivery } from "../../webhooks/source";

export const BACKFILL_SOURCES = ["stripe", "hubspot", "zendesk"] as const;
export type BackfillSource = (typeof BACKFILL_SOURCES)[number];

/** Objects imported per source, in order: profiles first, as later records resolve against their ids and domains. */
export const BACKFILL_OBJECTS: Record<BackfillSource, readonly string[]> = {
  stripe: ["customers", "subscriptions", "invoices", "refunds", "disputes"],
  hubspot: ["companies", "contacts", "deals", "tickets"],
  zendesk: ["tickets"],
};

/** Records per API page: the maximum both vendors allow. */
export const PAGE_SIZE = 100;

/** One page read from a vendor, already mapped to deliveries (one per record). */
export interface Page {
  deliveries: Delivery[];
  /** The cursor of the next page, or null when this was the last one. */
  next: string | null;
}

/** A vendor's side of the backfill. */
export interface Importer {
  /** Why this source cannot be imported (a missing credential), or null. */
  disabledReason(cfg: Config): string | null;
  fetchPage(deps: ConnectorDeps, object: string, cursor: string | null): Promise<Page>;
}

/** A page the vendor refused or could not serve; the run keeps its cursor and can be resumed. */
export class VendorError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "VendorError";
  }
}
