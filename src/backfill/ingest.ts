import { contentKey, ignored } from "../../webhooks/delivery";
import type { Delivery } from "../../webhooks/source";
import { timeProblems } from "../core/time";

/**
 * The dedupe key of a record imported from an API: `backfill:<record id>:<digest of its facts>`.
 * Neither vendor has a version that moves only when the facts do (Stripe objects carry no updated
 * time; HubSpot's updatedAt moves whenever Tenure writes its own properties), so the digest is the
 * version: an unchanged record is a duplicate on every run, a changed one is a new fact.
 */
export function backfillKey(recordId: string, facts: unknown): string {
  return `backfill:${recordId}:${contentKey(JSON.stringify(facts))}`;
}

/**
 * A record whose facts carry a time outside 2000–2100 (or dated ahead of now) is kept as ignored, with the
 * reason, rather than failing the page (as the webhook route does) or poisoning its customer.
 */
export function withPlausibleTimes(d: Delivery, now: number, maxFutureMs: number): Delivery {
  for (const ev of d.events) {
    const [problem] = timeProblems(ev, now, maxFutureMs);
    if (problem) return ignored({ dedupeKey: d.dedupeKey, vendorType: d.vendorType, occurredAt: d.occurredAt, raw: d.raw }, `implausible time at ${problem.path}: ${problem.message}`);
  }
  return d;
}
