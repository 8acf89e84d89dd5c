import { CRM_MERGE_MARK, crmMergeOf, decideCrmMerge, type CrmMerge } from "../core/crm-merge";
import { decide, isExplicit, mayCreate, type IdentitySourceRules } from "../core/identity";
import { createdAtOf } from "./merge";
import { holdingsOf, keyString, takenIds, unlinkedKeys, type IdentityConflictRow, type IdentityKey } from "./identity";

/** What a merge the resolver asks for did (src/jobs/merge.ts answers it). */
export type MergeAsk = (survivorId: string, loserId: string, reason: string) => Promise<{ status: string; message?: string }>;

export interface Resolution {
  customerId: string | null;
  /** Keys to link to the customer with this event. */
  fresh: IdentityKey[];
  /** Why the event was refused (it stays unmatched). */
  conflicts: IdentityConflictRow[];
  /** It would merge a customer this batch only now creates: retry it once that customer is committed. */
  defer?: boolean;
}

/**
 * Resolves rows one at a time against `known` (key -> customer, updated as rows link keys), so a key linked by
 * one row is seen by the next. Explicit ids that prove two customers are one account merge them first (the
 * oldest survives); contradicting explicit ids refuse the event; unlinked keys are never linked back; only the
 * configured sources create customers, and never under an id a live customer or a merge pointer holds.
 */
export async function identityResolver(
  db: D1Database,
  rules: IdentitySourceRules,
  allKeys: IdentityKey[],
  known: Map<string, string>,
  merge: MergeAsk,
) {
  // One query for the ids new customers would take (not one per new customer: a batch may create a hundred).
  const firstIds = new Map<string, string>();
  for (const k of allKeys) if (isExplicit(k) && !known.has(keyString(k))) firstIds.set(keyString(k), await customerIdFor(keyString(k)));
  const holdings = new Map<string, Record<string, string[]>>();
  const age = new Map<string, number>();
  const redirect = new Map<string, string>();
  const created = new Set<string>();

  async function load(ids: string[]) {
    const missing = ids.filter((id) => !holdings.has(id));
    if (missing.length === 0) return;
    const [h, a] = await Promise.all([holdingsOf(db, missing), createdAtOf(db, missing)]);
    for (const [id, v] of h) holdings.set(id, v);
    for (const [id, v] of a) age.set(id, v);
  }

  // Every customer the batch's keys already reach, loaded at once: rows then resolve without a round trip each.
  const [unlinks, taken] = await Promise.all([unlinkedKeys(db, allKeys), takenIds(db, [...new Set(firstIds.values())]), load([...new Set(known.values())])]);

  const hold = (customerId: string, k: IdentityKey) => {
    if (!isExplicit(k)) return;
    const h = holdings.get(customerId);
    if (h && !h[k.kind]?.includes(k.value)) (h[k.kind] ??= []).push(k.value);
  };

  const blocked = (customerId: string, keys: IdentityKey[]) => keys.some((k) => unlinks.get(keyString(k))?.has(customerId));

  /** After a merge: what the loser held is the survivor's for the rest of the batch. */
  function absorb(survivorId: string, loserId: string) {
    redirect.set(loserId, survivorId);
    for (const [k, c] of known) if (c === loserId) known.set(k, survivorId);
    for (const [kind, values] of Object.entries(holdings.get(loserId) ?? {})) for (const value of values) hold(survivorId, { kind, value } as IdentityKey);
    holdings.delete(loserId);
  }

  /** The keys not linked yet, linked to `id` (never one unlinked from it, never the merge mark). */
  function link(id: string, keys: IdentityKey[]): IdentityKey[] {
    const fresh = keys.filter((k) => k.kind !== CRM_MERGE_MARK && !known.has(keyString(k)) && !unlinks.get(keyString(k))?.has(id));
    for (const k of fresh) {
      known.set(keyString(k), id);
      hold(id, k);
    }
    return fresh;
  }

  /** HubSpot merged two companies: their customers become one, the surviving company's customer surviving. */
  async function resolveCrmMerge(rowId: string, source: string, keys: IdentityKey[], m: CrmMerge): Promise<Resolution> {
    await load([...new Set(keys.map((k) => known.get(keyString(k))).filter((c): c is string => c !== undefined))]);
    const decision = decideCrmMerge(m, known);
    let customerId: string | null = null;
    if (decision.kind === "merge") {
      const { survivorId, loserId } = decision;
      if (created.has(survivorId) || created.has(loserId)) return { customerId: null, fresh: [], conflicts: [], defer: true };
      const outcome = await merge(survivorId, loserId, `HubSpot merged company ${m.loser.value} into ${m.survivor.value} (event ${rowId})`);
      if (outcome.status !== "merged" && outcome.status !== "already_merged") {
        return { customerId: null, fresh: [], conflicts: [{ eventId: rowId, kind: m.loser.kind, value: m.loser.value, customerId: loserId, held: "", reason: outcome.message ?? outcome.status }] };
      }
      absorb(survivorId, loserId);
      customerId = survivorId;
    } else if (decision.kind === "attach") customerId = decision.customerId;
    else if (mayCreate(rules, source)) customerId = await newCustomerId({ kind: "hubspot", value: m.survivor.value });
    return customerId ? { customerId, fresh: link(customerId, keys), conflicts: [] } : { customerId: null, fresh: [], conflicts: [] };
  }

  async function resolve(rowId: string, source: string, keys: IdentityKey[]): Promise<Resolution> {
    const crmMerge = crmMergeOf(keys);
    if (crmMerge) return resolveCrmMerge(rowId, source, keys, crmMerge);
    await load([...new Set(keys.map((k) => known.get(keyString(k))).filter((c): c is string => c !== undefined))]);
    let decision = decide(keys, known, holdings, age);
    if (decision.kind === "conflict") {
      return { customerId: null, fresh: [], conflicts: decision.conflicts.map((c) => ({ eventId: rowId, kind: c.key.kind, value: c.key.value, customerId: c.customerId, held: c.held, reason: c.reason })) };
    }
    // A customer reached only through a person or a domain is not one this event's unlinked ids were taken from.
    if (decision.kind === "match") {
      const c = decision.customerId;
      if (!keys.some((k) => isExplicit(k) && known.get(keyString(k)) === c) && blocked(c, keys)) decision = { kind: "none" };
    }
    let customerId: string | null = null;
    if (decision.kind === "match") {
      customerId = decision.customerId;
      if (decision.merge.length > 0 && [customerId, ...decision.merge].some((c) => created.has(c))) return { customerId: null, fresh: [], conflicts: [], defer: true };
      for (const loser of decision.merge) {
        const reason = `event ${rowId} carries ${keys.filter(isExplicit).map(keyString).join(", ")}`;
        const outcome = await merge(customerId, loser, reason);
        if (outcome.status !== "merged" && outcome.status !== "already_merged") {
          const k = keys.find((x) => isExplicit(x) && known.get(keyString(x)) === loser)!;
          return { customerId: null, fresh: [], conflicts: [{ eventId: rowId, kind: k.kind, value: k.value, customerId: loser, held: "", reason: outcome.message ?? outcome.status }] };
        }
        absorb(customerId, loser);
      }
    } else {
      const primary = keys.find(isExplicit);
      if (primary && mayCreate(rules, source)) customerId = await newCustomerId(primary);
    }
    if (!customerId) return { customerId: null, fresh: [], conflicts: [] };
    return { customerId, fresh: link(customerId, keys), conflicts: [] };
  }

  async function newCustomerId(primary: IdentityKey): Promise<string> {
    let id = firstIds.get(keyString(primary)) ?? (await customerIdFor(keyString(primary)));
    // Deterministic (a retried step derives the same id), and never a taken one: after an unlink or a merge the
    // key's first id may belong to a customer that no longer holds the key.
    if (taken.has(id)) {
      for (let i = 0; i < 4 && (await takenIds(db, [id])).has(id); i++) id = await customerIdFor(`${keyString(primary)}#${id}`);
    }
    holdings.set(id, {});
    age.set(id, Number.MAX_SAFE_INTEGER);
    created.add(id);
    return id;
  }

  /** A customer id resolved earlier in this batch, through the merges done since. */
  const current = (id: string) => {
    let at = id;
    while (redirect.has(at)) at = redirect.get(at)!;
    return at;
  };

  return { resolve, current };
}

async function customerIdFor(seed: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(seed)));
  return `cu_${[...digest.slice(0, 10)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
