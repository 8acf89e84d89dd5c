import type { CalibrationHistory } from "../core/calibrate";
import type { ComponentName } from "../core/health";
import { churnedAt } from "../core/lifecycle";
import { loadCustomers } from "./customers";

/**
 * A page of customers' event-time timelines with their component scores (as the model in force computed them
 * at each day's close), and when each churned: what calibration learns from.
 */
export async function loadCalibrationPage(db: D1Database, ids: string[]): Promise<CalibrationHistory[]> {
  const customers = await loadCustomers(db, ids);
  const series = new Map<string, CalibrationHistory["points"]>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT customer_id AS id, at, score, components FROM score_history WHERE customer_id IN (SELECT value FROM json_each(?)) ORDER BY customer_id, at`)
      .bind(JSON.stringify(chunk))
      .all<{ id: string; at: number; score: number; components: string | null }>();
    for (const r of results) {
      const list = series.get(r.id) ?? [];
      list.push({ at: r.at, score: r.score, components: parseComponents(r.components) });
      series.set(r.id, list);
    }
  }
  return [...customers].map(([id, c]) => ({ customerId: id, points: series.get(id) ?? [], churnedAt: churnedAt(c.state) }));
}

function parseComponents(json: string | null): Partial<Record<ComponentName, number | null>> {
  if (!json) return {};
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === "object" && v !== null ? (v as Partial<Record<ComponentName, number | null>>) : {};
  } catch {
    return {};
  }
}
