import type { CustomerGroups, Resolved } from "../../src/pipeline";
import type { HeldRows, HeldSettings } from "../../src/shard/held";

/** A shard's held rows in memory, with SqlHeldRows's order and limits: they outlive a crashed request, as the object's storage does. */
export function memoryHeldRows(): HeldRows {
  const rows = new Map<string, { customerId: string; dueAt: number; resolved: Resolved }>();
  let settings: HeldSettings | null = null;
  const ordered = () => [...rows.values()].sort((a, b) => a.dueAt - b.dueAt || (a.resolved.row.id < b.resolved.row.id ? -1 : 1));
  const grouped = (list: { customerId: string; resolved: Resolved }[]): CustomerGroups => {
    const groups = new Map<string, Resolved[]>();
    for (const r of list) groups.set(r.customerId, [...(groups.get(r.customerId) ?? []), structuredClone(r.resolved)]);
    return [...groups];
  };
  return {
    hold(groups, dueAt, deps) {
      settings = structuredClone(deps);
      for (const [customerId, group] of groups) for (const r of group) if (!rows.has(r.row.id)) rows.set(r.row.id, { customerId, dueAt, resolved: structuredClone(r) });
    },
    forCustomers: (ids) => grouped(ordered().filter((r) => ids.includes(r.customerId))),
    due(now, maxCustomers, maxRows) {
      const first = new Map<string, { at: number; n: number }>();
      for (const r of rows.values()) {
        const f = first.get(r.customerId) ?? { at: Infinity, n: 0 };
        first.set(r.customerId, { at: Math.min(f.at, r.dueAt), n: f.n + 1 });
      }
      const candidates = [...first].filter(([, f]) => f.at <= now).sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1)).slice(0, maxCustomers);
      const picked: string[] = [];
      let n = 0;
      for (const [id, f] of candidates) {
        if (picked.length > 0 && n + f.n > maxRows) break;
        picked.push(id);
        n += f.n;
      }
      const deps = settings === null ? null : structuredClone(settings);
      if (picked.length === 1 && n > maxRows) return { deps, groups: grouped(ordered().filter((r) => r.customerId === picked[0]).slice(0, maxRows)) };
      return { deps, groups: grouped(ordered().filter((r) => picked.includes(r.customerId))) };
    },
    release: (ids) => ids.forEach((id) => rows.delete(id)),
    postpone: (ids, dueAt) => ids.forEach((id) => rows.has(id) && (rows.get(id)!.dueAt = dueAt)),
    nextDue: () => (rows.size === 0 ? null : Math.min(...[...rows.values()].map((r) => r.dueAt))),
    count: () => rows.size,
  };
}
