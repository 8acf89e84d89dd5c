import { contentKey } from "../../webhooks/delivery";

/**
 * The dedupe key of a record imported from an API: `backfill:<record id>:<digest of its facts>`.
 * Neither vendor has a version that moves only when the facts do (Stripe objects carry no updated
 * time; HubSpot's updatedAt moves whenever Tenure writes its own properties), so the digest is the
 * version: an unchanged record is a duplicate on every run, a changed one is a new fact.
 */
export function backfillKey(recordId: string, facts: unknown): string {
  return `backfill:${recordId}:${contentKey(JSON.stringify(facts))}`;
}
