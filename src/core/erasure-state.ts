import { ERASED, mentions, scrubValue, type PersonIds } from "./erasure";
import { hash32, type Sketch } from "./sketch";
import type { CustomerState } from "./state";

/**
 * A customer's state with one person taken out. State keeps no user id, only 32-bit hashes of them (in the
 * distinct-user sketches and as the keys of `usage.roles`), but a hash of a known email still tells that the
 * person was there: for a customer they were seen with (`linked`), each hash moves to the hash of their
 * pseudonym, so counts, roles and scores stay as they were. A dense sketch (past 32 users) holds registers,
 * not hashes, and is left alone. Their ticket subjects and survey comments go, and any string that names them.
 */
export function scrubState(state: CustomerState, ids: PersonIds, linked: boolean): { state: CustomerState; changed: boolean } {
  const s = structuredClone(state);
  let changed = false;
  if (linked) {
    for (const userId of ids.userIds) {
      const to = ids.pseudonyms[userId];
      if (to) changed = movePseudonymous(s, hash32(userId), hash32(to)) || changed;
    }
    // Free text: theirs goes whole; anyone's that names them (their first name will do) goes too.
    const theirs = (id: string, text: string, own: readonly string[]) => text !== "" && text !== ERASED && (own.includes(id) || mentions(text, ids, true));
    for (const [id, t] of Object.entries(s.support.tickets)) if (t.subject !== undefined && theirs(id, t.subject, ids.ticketIds)) (t.subject = ERASED), (changed = true);
    for (const [id, c] of Object.entries(s.support.closed ?? {})) if (theirs(id, c[5], ids.ticketIds)) (c[5] = ERASED), (changed = true);
    for (const [id, r] of Object.entries(s.sentiment.responses)) if (r.comment !== undefined && theirs(id, r.comment, ids.responseIds)) (r.comment = ERASED), (changed = true);
  }
  // Elsewhere (company names and properties, feature names) only their emails and full names count.
  const scrubbed = scrubValue(s, ids, false);
  return { state: scrubbed.value as CustomerState, changed: changed || scrubbed.changed };
}

function movePseudonymous(s: CustomerState, from: number, to: number): boolean {
  let changed = false;
  const moved = (k: Sketch | undefined): Sketch | undefined => {
    if (!k || !("h" in k) || !k.h.includes(from)) return k;
    changed = true;
    return { h: [...new Set([...k.h.filter((h) => h !== from), to])].sort((a, b) => a - b) };
  };
  s.usage.known = moved(s.usage.known);
  for (const day of Object.values(s.usage.days)) day.u = moved(day.u)!;
  const key = from.toString(36);
  const role = s.usage.roles[key];
  if (role) {
    delete s.usage.roles[key];
    s.usage.roles[to.toString(36)] ??= role;
    changed = true;
  }
  return changed;
}
