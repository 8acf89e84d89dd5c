import type { Action, ActionPayload } from "./actions";

/**
 * Which vendor lookups an event's ids need before it can find its customer. Pure: the caller says which
 * keys are already settled (linked to a customer, or looked up before). Ids are deterministic, so an
 * object is looked up once however many of its events arrive; an association change looks it up again.
 */

export interface EnrichmentKey {
  kind: string;
  value: string;
}

export interface EnrichmentRow {
  /** The inbox row (its id makes an association change's lookup its own). */
  id: string;
  /** The vendor's event type, e.g. `deal.associationChange`. */
  vendorType: string;
  keys: readonly EnrichmentKey[];
  /** Its other ids already find (or create) its customer: only an association change is worth a lookup. */
  attached?: boolean;
}

type Lookup = Extract<ActionPayload, { type: "hubspot.associations" | "zendesk.lookup" }>;

/** The lookup that resolves one key, or null for a key no vendor lookup resolves. */
export function lookupFor(key: EnrichmentKey): Lookup | null {
  const numeric = (v: string) => (/^\d+$/.test(v) ? v : null);
  switch (key.kind) {
    case "hubspot_deal":
    case "hubspot_ticket": {
      const objectId = numeric(key.value);
      return objectId ? { type: "hubspot.associations", objectType: key.kind === "hubspot_deal" ? "deals" : "tickets", objectId } : null;
    }
    case "contact": {
      const objectId = key.value.startsWith("hubspot:") ? numeric(key.value.slice(8)) : null;
      return objectId ? { type: "hubspot.associations", objectType: "contacts", objectId } : null;
    }
    case "zendesk_user":
    case "zendesk_org": {
      const objectId = numeric(key.value);
      return objectId ? { type: "zendesk.lookup", object: key.kind === "zendesk_user" ? "user" : "organization", objectId } : null;
    }
    default:
      return null;
  }
}

export function lookupId(p: Lookup): string {
  return p.type === "hubspot.associations" ? `enrich:hubspot:${p.objectType}:${p.objectId}` : `enrich:zendesk:${p.object}:${p.objectId}`;
}

const isAssociationChange = (vendorType: string) => vendorType.endsWith(".associationChange");

export function planEnrichment(rows: readonly EnrichmentRow[], settled: (key: EnrichmentKey) => boolean): Action[] {
  const out = new Map<string, Action>();
  for (const row of rows) {
    const changed = isAssociationChange(row.vendorType);
    for (const key of row.keys) {
      const payload = lookupFor(key);
      if (!payload) continue;
      if (changed && payload.type === "hubspot.associations") {
        const id = `${lookupId(payload)}:${row.id}`;
        out.set(id, { id, customerId: null, payload });
      } else if (!row.attached && !settled(key)) {
        const id = lookupId(payload);
        out.set(id, { id, customerId: null, payload });
      }
    }
  }
  return [...out.values()];
}
