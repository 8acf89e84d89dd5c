import { addIdentifiers, emptyPersonIds, eventKeys, learnFromEvent, personOwns, scrubEvents, tombstoneKeys } from "../core/erasure";
import type { InboxRow } from "../store/inbox";
import { erasedHashes, erasureSalt, pseudonymOf, scrubbedArrivalStmt, tombstoneHash, tombstoneStmts } from "../store/privacy";

/**
 * A fact about an erased person that arrives while (or after) their erasure runs: recognised by a tombstone
 * (the salted hash of one of their emails, user ids or contact ids), it is scrubbed before anything of it is
 * applied or kept. The stored row loses its raw payload and its facts are rewritten; identifiers the fact
 * newly ties to them become tombstones too. Costs one D1 read per batch (the salt until the first erasure,
 * then the tombstone lookup) and a write only for a row that is theirs.
 */
export async function scrubErasedArrivals(db: D1Database, rows: InboxRow[], now: number): Promise<InboxRow[]> {
  const salt = await erasureSalt(db, false);
  if (salt === null) return rows;
  const keyed = rows.map((row) => ({ row, keys: row.events.map(eventKeys) }));
  const values = new Set<string>();
  for (const { keys } of keyed) for (const k of keys) for (const v of [...k.emails, ...k.userIds.map((u) => u.toLowerCase()), ...k.contactIds.map((c) => `hubspot:${c}`)]) values.add(v);
  if (values.size === 0) return rows;
  const hashOf = new Map<string, string>();
  for (const v of values) hashOf.set(v, await tombstoneHash(salt, v));
  const erased = await erasedHashes(db, [...hashOf.values()]);
  if (erased.size === 0) return rows;
  const hit = (v: string) => erased.has(hashOf.get(v.toLowerCase()) ?? "");

  const writes: D1PreparedStatement[] = [];
  const out = [];
  for (const { row, keys } of keyed) {
    const ids = emptyPersonIds();
    for (const k of keys) addIdentifiers(ids, { emails: k.emails.filter(hit), userIds: k.userIds.filter(hit), contactIds: k.contactIds.filter((c) => hit(`hubspot:${c}`)) });
    if (tombstoneKeys(ids).length === 0) {
      out.push(row);
      continue;
    }
    for (const e of row.events) if (personOwns(e, ids)) learnFromEvent(e, ids, null);
    const fresh: string[] = [];
    for (const key of tombstoneKeys(ids)) {
      const h = hashOf.get(key) ?? (await tombstoneHash(salt, key));
      if (!erased.has(h)) fresh.push(h);
    }
    for (const u of ids.userIds) ids.pseudonyms[u] = await pseudonymOf(salt, u);
    const scrubbed = scrubEvents(row.events, ids);
    // A carried delivery has no row to scrub yet: the row its commit writes holds the scrubbed facts, without the payload.
    if (!row.carried) writes.push(scrubbedArrivalStmt(db, row.id, JSON.stringify(scrubbed.events)));
    writes.push(...tombstoneStmts(db, "arrival", fresh, now));
    out.push({ ...row, events: scrubbed.events, ...(row.carried ? { carried: { ...row.carried, payload: null } } : {}) });
  }
  if (writes.length > 0) await db.batch(writes);
  return out;
}
