import type { SourceName } from "../core/events";
import type { Delivery } from "../../webhooks/source";
import { contentKey } from "../../webhooks/delivery";
import type { NewInboxRow } from "../store/inbox";

/**
 * Records read from a vendor's API (backfill, reconciliation) enter the same inbox as webhooks:
 * one row per delivery, id `${source}:${dedupe key}`, so anything already there is a duplicate.
 */
export function inboxRow(source: SourceName, d: Delivery, now: number, requestId: string): NewInboxRow {
  const ignored = d.events.length === 0;
  return {
    id: `${source}:${d.dedupeKey}`,
    source,
    vendorType: d.vendorType,
    status: ignored ? "ignored" : "received",
    occurredAt: d.occurredAt,
    receivedAt: now,
    requestId,
    reason: ignored ? (d.ignoredReason ?? "Tenure does not use this record") : null,
    events: d.events,
    payload: d.raw,
  };
}

/** Ids of the rows that were new and carry facts: the ones to put on the events queue. */
export function toEnqueue(rows: readonly NewInboxRow[], inserted: readonly string[]): string[] {
  const fresh = new Set(inserted);
  return rows.filter((r) => r.status === "received" && fresh.has(r.id)).map((r) => r.id);
}

/**
 * The dedupe key of a record imported from an API: `backfill:<record id>:<digest of its facts>`.
 * Neither vendor has a version that moves only when the facts do (Stripe objects carry no updated
 * time; HubSpot's updatedAt moves whenever Tenure writes its own properties), so the digest is the
 * version: an unchanged record is a duplicate on every run, a changed one is a new fact.
 */
export function backfillKey(recordId: string, facts: unknown): string {
  return `backfill:${recordId}:${contentKey(JSON.stringify(facts))}`;
}
