/** Public shapes of the admin API (the contract in the README and /openapi.json). */
import { actionRow } from "../store/outbox";


export interface CustomerRow {
  id: string;
  name: string | null;
  domain: string | null;
  score: number | null;
  band: string | null;
  stage: string | null;
  stage_since: number | null;
  health: string | null;
  mrr: number;
  currency: string | null;
  updated_at: number;
  scored_at: number | null;
}

export function customerView(r: CustomerRow, identities: { kind: string; value: string }[]) {
  const h = r.health ? (JSON.parse(r.health) as Record<string, any>) : null;
  const externalIds: Record<string, string> = {};
  for (const i of identities) if (["stripe", "hubspot", "segment_group", "account"].includes(i.kind)) externalIds[i.kind] ??= i.value;
  return {
    id: r.id,
    name: r.name,
    domain: r.domain,
    externalIds,
    health: h
      ? {
          score: h.score,
          band: h.band,
          trend: h.trend ?? { d7: null, d30: null },
          components: h.components,
          drivers: h.drivers,
          modelVersion: h.modelVersion,
          coverage: h.coverage,
          segments: h.snapshot?.segments ?? [],
        }
      : null,
    stage: { current: r.stage, since: r.stage_since },
    mrr: r.mrr,
    currency: r.currency,
    mrrByCurrency: h?.snapshot?.mrrByCurrency ?? null,
    mrrUnknownItems: h?.snapshot?.mrrUnknownItems ?? 0,
    renewalDate: h?.snapshot?.renewalDate ?? null,
    onboarding: h?.snapshot ? { status: h.snapshot.onboardingStatus, firstValueMissed: h.snapshot.firstValueMissed } : null,
    updatedAt: r.updated_at,
    scoredAt: r.scored_at,
  };
}

/** Outbox rows as the admin API lists them (the dashboard shows the same shape). */
export const outboxView = actionRow;

export function eventView(r: Record<string, unknown>) {
  return {
    id: r.id,
    source: r.source,
    vendorType: r.vendor_type,
    status: r.status,
    occurredAt: r.occurred_at,
    receivedAt: r.received_at,
    processedAt: r.processed_at,
    attempts: r.attempts,
    customerId: r.customer_id,
    reason: r.reason,
  };
}
