import { HUBSPOT_PROPERTIES } from "../core/plan";
import type { OutboxRow } from "../store/outbox";

/** Values HubSpot already has (last successful write), per company. */
export async function loadSynced(db: D1Database, companyIds: string[]): Promise<Map<string, Map<string, string | null>>> {
  const out = new Map<string, Map<string, string | null>>();
  for (let i = 0; i < companyIds.length; i += 80) {
    const chunk = companyIds.slice(i, i + 80);
    const { results } = await db
      .prepare(`SELECT company_id, property, value FROM hubspot_synced WHERE company_id IN (${chunk.map(() => "?").join(",")})`)
      .bind(...chunk)
      .all<{ company_id: string; property: string; value: string | null }>();
    for (const r of results) {
      const m = out.get(r.company_id) ?? new Map();
      m.set(r.property, r.value);
      out.set(r.company_id, m);
    }
  }
  return out;
}

/** Drops values HubSpot already has; `last scored at` alone is not worth a write. */
export function changedProperties(props: Record<string, string>, synced: Map<string, string | null> | undefined): Record<string, string> | null {
  const changed = Object.fromEntries(Object.entries(props).filter(([k, v]) => synced?.get(k) !== v));
  const significant = Object.keys(changed).some((k) => k !== HUBSPOT_PROPERTIES.lastScoredAt);
  return significant ? changed : null;
}

export function syncedStmts(db: D1Database, row: OutboxRow, props: Record<string, string>, now: number): D1PreparedStatement[] {
  if (row.payload.type !== "hubspot.properties") return [];
  const stmt = db.prepare(
    `INSERT INTO hubspot_synced (company_id, property, value, synced_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (company_id, property) DO UPDATE SET value = excluded.value, synced_at = excluded.synced_at`,
  );
  const companyId = row.payload.companyId;
  return Object.entries(props).map(([k, v]) => stmt.bind(companyId, k, v, now));
}
