import { keyPairs, keyString, type IdentityKey } from "./identity";

/**
 * What a vendor's API said an id belongs to (migrations/0020_associations.sql): a HubSpot deal, ticket or
 * contact to its companies, a Zendesk requester or organization to its email domains.
 */

export interface AssociationTarget {
  kind: "hubspot" | "domain";
  value: string;
}

/** The stored targets of each key that has any, in rank order (the vendor's primary first); one query for the batch. */
export async function loadAssociations(db: D1Database, keys: readonly IdentityKey[]): Promise<Map<string, AssociationTarget[]>> {
  const out = new Map<string, AssociationTarget[]>();
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  if (unique.length === 0) return out;
  const { results } = await db
    .prepare(
      `SELECT a.object_kind, a.object_value, a.to_kind, a.to_value FROM json_each(?) j
       CROSS JOIN associations a ON a.object_kind = json_extract(j.value, '$[0]') AND a.object_value = json_extract(j.value, '$[1]')
       ORDER BY a.rank, a.to_value`,
    )
    .bind(keyPairs(unique))
    .all<{ object_kind: string; object_value: string; to_kind: AssociationTarget["kind"]; to_value: string }>();
  for (const r of results) {
    const key = `${r.object_kind}:${r.object_value}`;
    out.set(key, [...(out.get(key) ?? []), { kind: r.to_kind, value: r.to_value }]);
  }
  return out;
}

/**
 * The identity keys an event's own keys lead to through their associations: a company id is explicit, a
 * domain only counts where matching by domain is on and it is not a free-mail domain.
 */
export function associatedKeys(
  keys: readonly IdentityKey[],
  associations: ReadonlyMap<string, AssociationTarget[]>,
  rules: { freeMail: ReadonlySet<string>; matchByDomain: boolean | readonly string[] },
): IdentityKey[] {
  // Domains come from Zendesk lookups: they count where matching by domain is on for every source or for Zendesk.
  const byDomain = rules.matchByDomain === true || (Array.isArray(rules.matchByDomain) && rules.matchByDomain.includes("zendesk"));
  const out: IdentityKey[] = [];
  for (const k of keys) {
    for (const t of associations.get(keyString(k)) ?? []) {
      if (t.kind === "domain" && (!byDomain || rules.freeMail.has(t.value))) continue;
      out.push({ kind: t.kind, value: t.value });
    }
  }
  return out;
}

/** Replaces what is stored for one object (an association removed in the vendor goes here too). */
export function saveAssociationStmts(db: D1Database, object: IdentityKey, targets: readonly AssociationTarget[], now: number): D1PreparedStatement[] {
  const insert = db.prepare(
    `INSERT INTO associations (object_kind, object_value, to_kind, to_value, rank, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET rank = excluded.rank, fetched_at = excluded.fetched_at`,
  );
  return [
    db.prepare(`DELETE FROM associations WHERE object_kind = ? AND object_value = ?`).bind(object.kind, object.value),
    ...targets.map((t, rank) => insert.bind(object.kind, object.value, t.kind, t.value, rank, now)),
  ];
}

/**
 * An object that now belongs elsewhere stops pointing at its old customer, so its next facts resolve
 * through the new association. Facts already applied stay where they are.
 */
export function unlinkMovedStmt(db: D1Database, object: IdentityKey, companyIds: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM identities WHERE kind = ? AND value = ?
         AND customer_id NOT IN (SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value IN (SELECT value FROM json_each(?)))`,
    )
    .bind(object.kind, object.value, JSON.stringify(companyIds));
}

/** Unmatched events waiting for this key. */
export async function waitingEventIds(db: D1Database, key: IdentityKey): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT DISTINCT u.event_id FROM unmatched_keys u JOIN inbox_events e ON e.id = u.event_id WHERE u.kind = ? AND u.value = ? AND e.status = 'unmatched'`)
    .bind(key.kind, key.value)
    .all<{ event_id: string }>();
  return results.map((r) => r.event_id);
}

/** Sets the unmatched events waiting for this key back to received (the queue or the sweeper applies them). */
export function redriveKeyStmts(db: D1Database, key: IdentityKey): D1PreparedStatement[] {
  const waiting = `SELECT event_id FROM unmatched_keys WHERE kind = ? AND value = ?`;
  return [
    db.prepare(`UPDATE inbox_events SET status = 'received', attempts = 0 WHERE +status = 'unmatched' AND id IN (${waiting})`).bind(key.kind, key.value),
    db.prepare(`DELETE FROM unmatched_keys WHERE event_id IN (${waiting})`).bind(key.kind, key.value),
  ];
}
