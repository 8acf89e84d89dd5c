import type { Key } from "./identity";

/**
 * HubSpot merged one company into another: the two Tenure customers holding them are one account. Unlike two
 * Stripe ids on one event (refused as a conflict), two HubSpot companies on a merge event are HubSpot's own word
 * that they are one, and which of them survives. Pure: the caller says which customer holds each key.
 */

/** The key kind that marks the merged-away company on a merge event. It is never linked to a customer. */
export const CRM_MERGE_MARK = "hubspot_merged";

export interface CrmMerge {
  survivor: Key;
  loser: Key;
}

/** The merge an event's keys describe, or null for any other event. */
export function crmMergeOf(keys: readonly Key[]): CrmMerge | null {
  const mark = keys.find((k) => k.kind === CRM_MERGE_MARK);
  if (!mark) return null;
  const survivor = keys.find((k) => k.kind === "hubspot" && k.value !== mark.value);
  return survivor ? { survivor, loser: { kind: "hubspot", value: mark.value } } : null;
}

export type CrmMergeDecision =
  /** Both companies are known, on two customers: the surviving company's customer absorbs the other. */
  | { kind: "merge"; survivorId: string; loserId: string }
  /** One of them is known (or both, on one customer): the other company is linked to it. */
  | { kind: "attach"; customerId: string }
  | { kind: "none" };

/** `owners`: key string (`kind:value`) -> the customer it is linked to. */
export function decideCrmMerge(m: CrmMerge, owners: ReadonlyMap<string, string>): CrmMergeDecision {
  const survivorId = owners.get(`${m.survivor.kind}:${m.survivor.value}`);
  const loserId = owners.get(`${m.loser.kind}:${m.loser.value}`);
  if (survivorId && loserId && survivorId !== loserId) return { kind: "merge", survivorId, loserId };
  const customerId = survivorId ?? loserId;
  return customerId ? { kind: "attach", customerId } : { kind: "none" };
}
