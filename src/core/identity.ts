import { z } from "zod";
import { sourceNameSchema, type NormalizedEvent } from "./events";

/**
 * Which customer an event's keys prove it belongs to, and when they prove two customers are one account.
 * Pure: the caller looks the keys up and says what each customer already holds.
 */

/** Explicit account ids: strong enough to create a customer, and to merge two. `segment_group` and `account` are one key space. */
export const EXPLICIT_KINDS = ["stripe", "hubspot", "segment_group", "account"] as const;

export interface Key {
  kind: string;
  value: string;
}

/** Identity rules of TENURE_CONFIG beside `freeMailDomains` and `matchByDomain` (src/core/config.ts). */
export const identitySourceRulesSchema = z.object({
  /** Sources whose explicit ids may create a customer; absent (default): every source, as before. */
  createFrom: z.array(sourceNameSchema).optional(),
  /**
   * With `matchByDomain`, the sources whose facts may match a customer by email domain; absent (default): every
   * source. A public survey answer need not be able to move a paying account's score.
   */
  matchByDomainFrom: z.array(sourceNameSchema).optional(),
  /** A HubSpot company property holding the same account id as Stripe `metadata.account_id` and Segment `groupId`. */
  accountProperty: z.string().min(1).max(100).optional(),
});
export type IdentitySourceRules = z.infer<typeof identitySourceRulesSchema>;

export function mayCreate(rules: IdentitySourceRules, source: string): boolean {
  return rules.createFrom === undefined || (rules.createFrom as string[]).includes(source);
}

export function mayMatchByDomain(rules: IdentitySourceRules & { matchByDomain: boolean }, source: string): boolean {
  return rules.matchByDomain && (rules.matchByDomainFrom === undefined || (rules.matchByDomainFrom as string[]).includes(source));
}

/** The account id a CRM company fact carries in the configured property, if any. */
export function accountIdOf(e: NormalizedEvent, accountProperty: string | undefined): string | undefined {
  if (!accountProperty || e.type !== "company.changed") return undefined;
  const v = e.properties[accountProperty];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

export const isExplicit = (k: Key) => (EXPLICIT_KINDS as readonly string[]).includes(k.kind);

/** One key space: a customer holding `segment_group:g` holds `account:g`. */
const space = (kind: string) => (kind === "segment_group" ? "account" : kind);

export interface Conflict {
  key: Key;
  customerId: string;
  held: string;
  reason: string;
}

export type Decision =
  /** Apply to `customerId`; first merge `merge` (other customers the event's explicit ids prove are the same account) into it. */
  | { kind: "match"; customerId: string; merge: string[] }
  | { kind: "conflict"; conflicts: Conflict[] }
  | { kind: "none" };

/**
 * `owners`: key string -> customer it is linked to. `holdings`: customer -> explicit ids it holds, by kind.
 * `age`: customer -> created_at (the oldest survives a merge). Customers reached through explicit keys decide;
 * contacts and domains only when no explicit key is linked. Explicit ids conflict when a customer the event
 * reaches already holds an id of the same kind that the event contradicts: then nothing is linked or merged.
 */
export function decide(
  keys: readonly Key[],
  owners: ReadonlyMap<string, string>,
  holdings: ReadonlyMap<string, Record<string, string[]>>,
  age: ReadonlyMap<string, number>,
): Decision {
  const keyString = (k: Key) => `${k.kind}:${k.value}`;
  const explicit = keys.filter(isExplicit);
  const reached = [...new Set(explicit.map((k) => owners.get(keyString(k))).filter((c): c is string => c !== undefined))];
  if (reached.length === 0) {
    const other = keys.map((k) => owners.get(keyString(k))).find((c) => c !== undefined);
    if (other === undefined) return { kind: "none" };
    // A person or a domain does not carry a new account id (the product's own: Segment groupId, Stripe
    // metadata.account_id) to a customer that holds another: a user who also works in a second account belongs to
    // both, and the second is a customer of its own. Billing and CRM ids attach (a company's second Stripe
    // customer, a duplicate HubSpot company are common and still the same account).
    const contradicted = explicit.some((k) => {
      if (space(k.kind) !== "account") return false;
      const held = heldOfKind(holdings.get(other), "account");
      return held.length > 0 && !held.includes(k.value);
    });
    return contradicted ? { kind: "none" } : { kind: "match", customerId: other, merge: [] };
  }
  const conflicts: Conflict[] = [];
  for (const k of explicit) {
    const owner = owners.get(keyString(k));
    for (const c of reached) {
      if (c === owner) continue;
      const held = heldOfKind(holdings.get(c), space(k.kind));
      if (held.length > 0 && !held.includes(k.value)) {
        conflicts.push({
          key: k,
          customerId: c,
          held: held[0]!,
          reason: `${k.kind} ${k.value} ${owner ? `belongs to ${owner}, and` : "is new, but"} the event's other ids belong to ${c}, which already has ${space(k.kind)} ${held[0]}`,
        });
      }
    }
  }
  // Two customers the event would merge must not hold different ids of one kind either (two Stripe customers).
  for (let i = 0; i < reached.length && conflicts.length === 0; i++) {
    for (let j = i + 1; j < reached.length; j++) {
      const [a, b] = [reached[i]!, reached[j]!];
      for (const kind of new Set(Object.keys(holdings.get(a) ?? {}).map(space))) {
        const ha = heldOfKind(holdings.get(a), kind);
        const hb = heldOfKind(holdings.get(b), kind);
        if (ha.length > 0 && hb.length > 0 && !ha.some((v) => hb.includes(v))) {
          const k = explicit.find((x) => owners.get(keyString(x)) === b) ?? explicit[0]!;
          conflicts.push({ key: k, customerId: a, held: ha[0]!, reason: `${a} has ${kind} ${ha[0]} and ${b} has ${kind} ${hb[0]}: the event's ids would make one account of them` });
          break;
        }
      }
    }
  }
  if (conflicts.length > 0) return { kind: "conflict", conflicts };
  const [survivor, ...rest] = [...reached].sort((a, b) => (age.get(a) ?? Infinity) - (age.get(b) ?? Infinity) || (a < b ? -1 : 1));
  return { kind: "match", customerId: survivor!, merge: rest };
}

function heldOfKind(h: Record<string, string[]> | undefined, kind: string): string[] {
  if (!h) return [];
  return [...new Set(Object.entries(h).flatMap(([k, vs]) => (space(k) === kind ? vs : [])))];
}
