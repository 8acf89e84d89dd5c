import type { ConnectorDeps } from "../../connectors/connector";
import type { Config } from "../env";
import type { Delivery } from "../../webhooks/source";

export const BACKFILL_OBJECTS = {
  // Profiles first: their ids, emails and domains are what later records resolve against.
  stripe: ["customers", "subscriptions", "invoices"],
  hubspot: ["companies", "contacts", "deals"],
} as const;

export type BackfillSource = keyof typeof BACKFILL_OBJECTS;
export const BACKFILL_SOURCES = Object.keys(BACKFILL_OBJECTS) as BackfillSource[];

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
