import type { CustomerCopies, CustomerCopy } from "../../src/shard/customer-copy";

/** A shard's copies in memory: what `put` wrote stays for the next request, as the object's storage keeps it. */
export function memoryCopies(): CustomerCopies & { rows: Map<string, CustomerCopy> } {
  const rows = new Map<string, CustomerCopy>();
  return {
    rows,
    get: (ids) => new Map(ids.flatMap((id) => (rows.has(id) ? [[id, structuredClone(rows.get(id)!)] as const] : []))),
    put: (list) => list.forEach((c) => rows.set(c.row.id, structuredClone(c))),
    drop: (ids) => ids.forEach((id) => rows.delete(id)),
    dropTimeline: (id) => {
      const c = rows.get(id);
      if (c) c.timeline = null;
    },
  };
}
