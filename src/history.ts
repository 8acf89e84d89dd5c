import type { TenureConfig } from "./core/config";
import { normalizedEventSchema, type NormalizedEvent } from "./core/events";
import { churnedAt } from "./core/lifecycle";
import { applyEvents } from "./core/reduce";
import { scoreCustomer } from "./core/snapshot";
import { emptyState, type CustomerState } from "./core/state";

/**
 * Replays of stored history: a customer's facts as of a past instant, rebuilt from the inbox's normalized
 * events (which outlive the raw payloads). Used by `POST /api/recompute {asOf}` and the backtest.
 */
export async function eventsByCustomer(db: D1Database, opts: { customerIds?: string[]; until: number; limit: number }): Promise<Map<string, NormalizedEvent[]>> {
  const filter = opts.customerIds ? `AND customer_id IN (SELECT value FROM json_each(?))` : "";
  const stmt = db.prepare(
    `SELECT customer_id, normalized FROM inbox_events WHERE status = 'processed' AND customer_id IS NOT NULL AND occurred_at <= ? ${filter}
     AND customer_id IN (SELECT id FROM customers ORDER BY id LIMIT ?) ORDER BY occurred_at`,
  );
  const args: unknown[] = [opts.until];
  if (opts.customerIds) args.push(JSON.stringify(opts.customerIds));
  args.push(opts.limit);
  const { results } = await stmt.bind(...args).all<{ customer_id: string; normalized: string }>();
  const out = new Map<string, NormalizedEvent[]>();
  for (const r of results) {
    const events = (JSON.parse(r.normalized) as unknown[]).map((e) => normalizedEventSchema.parse(e));
    out.set(r.customer_id, [...(out.get(r.customer_id) ?? []), ...events]);
  }
  return out;
}

export function stateAsOf(events: readonly NormalizedEvent[], asOf: number): CustomerState {
  return applyEvents(emptyState(), events.filter((e) => e.occurredAt <= asOf));
}

/** Scores at regular points in time (every `stepDays`), replaying only the facts known at each point. */
export function replayScores(events: readonly NormalizedEvent[], cfg: TenureConfig, from: number, to: number, stepDays: number): { at: number; score: number }[] {
  const points: { at: number; score: number }[] = [];
  const sorted = [...events].sort((a, b) => a.occurredAt - b.occurredAt);
  let state = emptyState();
  let i = 0;
  let band: ReturnType<typeof scoreCustomer>["health"]["band"] | undefined;
  for (let at = from; at <= to; at += stepDays * 86_400_000) {
    const batch: NormalizedEvent[] = [];
    while (i < sorted.length && sorted[i]!.occurredAt <= at) batch.push(sorted[i++]!);
    state = applyEvents(state, batch);
    if (batch.length === 0 && points.length === 0) continue;
    if (churnedAt(state) !== null) break;
    const scored = scoreCustomer(state, at, cfg, band, { d7: null, d30: null });
    band = scored.health.band;
    points.push({ at, score: scored.health.score });
  }
  return points;
}
