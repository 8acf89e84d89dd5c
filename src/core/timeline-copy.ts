/**
 * A customer's recent timeline held beside its row (an account shard's copy): every point from `since` on, and the
 * latest point before `since` if there is one. That is what the stored timeline answers for `since`, so the copy
 * can answer any later `since` the same way.
 */
export interface TimelineCopy<P extends { at: number }> {
  since: number;
  points: P[];
}

/** The points from `since` on plus the latest before it, as read from storage; null when the copy does not reach back that far. */
export function readCopy<P extends { at: number }>(copy: TimelineCopy<P>, since: number): P[] | null {
  if (since < copy.since) return null;
  return fromSince(copy.points, since);
}

/** A copy of `points` (what storage answered for `since`, sorted by time) that keeps only what `keepFrom` on needs. */
export function makeCopy<P extends { at: number }>(points: readonly P[], since: number, keepFrom: number): TimelineCopy<P> {
  const from = Math.max(since, keepFrom);
  return { since: from, points: fromSince(points, from) };
}

function fromSince<P extends { at: number }>(points: readonly P[], since: number): P[] {
  let first = points.findIndex((p) => p.at >= since);
  if (first === -1) first = points.length;
  return points.slice(Math.max(0, first - 1)).filter((p, i) => i === 0 || p.at >= since);
}
