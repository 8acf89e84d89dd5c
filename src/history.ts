import { stateAsOf } from "./core/as-of";
import type { TenureConfig } from "./core/config";
import { churnedAt } from "./core/lifecycle";
import { scoreCustomer } from "./core/snapshot";
import type { CustomerState } from "./core/state";
import { DAY, dayClose } from "./core/timeline";
import { scoreAsOf } from "./core/trend";
import { loadCustomers } from "./store/customers";
import { loadScoreSeries } from "./store/timeline";

/**
 * Scores of the past, from what Tenure keeps: the event-time timeline (what the model in force said at
 * each day's close) and the customers' bounded states (to score another model at past days). Used by
 * `POST /api/recompute {asOf}` and the backtest. Nothing here reads the inbox, whose rows are deleted
 * after each source's dedupe window.
 */

/** The most customers one backtest or `asOf` request reads: pages of PAGE, so each query stays small. */
export const MAX_REPLAY_CUSTOMERS = 2_000;
const PAGE = 100;

async function customerPage(db: D1Database, after: string, limit: number, ids?: string[]): Promise<string[]> {
  const filter = ids ? `AND id IN (SELECT value FROM json_each(?))` : "";
  const args: unknown[] = [after];
  if (ids) args.push(JSON.stringify(ids));
  args.push(limit);
  const { results } = await db.prepare(`SELECT id FROM customers WHERE id > ? ${filter} ORDER BY id LIMIT ?`).bind(...args).all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Every page of customer ids, up to `max` in all. */
export async function* customerPages(db: D1Database, max: number, ids?: string[], from = ""): AsyncGenerator<string[]> {
  let after = from;
  let seen = 0;
  while (seen < max) {
    const page = await customerPage(db, after, Math.min(PAGE, max - seen), ids);
    if (page.length === 0) return;
    yield page;
    seen += page.length;
    after = page[page.length - 1]!;
    if (page.length < PAGE) return;
  }
}

/** Sample instants: the close of every `stepDays`-th day from the first fact's day to `until`. */
export function sampleDays(firstAt: number, until: number, stepDays: number): number[] {
  const out: number[] = [];
  for (let at = dayClose(new Date(firstAt).toISOString().slice(0, 10)); at <= until; at += stepDays * DAY) out.push(at);
  return out;
}

export interface ReplayedHistory {
  customerId: string;
  points: { at: number; score: number }[];
  churnedAt: number | null;
}

/** The model in force, as the timeline recorded it at each sample day (stopping at churn). */
export function historyFromTimeline(customerId: string, state: CustomerState, series: { at: number; score: number }[], until: number, stepDays: number): ReplayedHistory {
  const churned = churnedAt(state);
  const first = series[0]?.at;
  if (first === undefined) return { customerId, points: [], churnedAt: churned };
  const points = sampleDays(first, until, stepDays)
    .filter((at) => churned === null || at < churned)
    .flatMap((at) => {
      const score = scoreAsOf(series, at);
      return score === null ? [] : [{ at, score }];
    });
  return { customerId, points, churnedAt: churned };
}

/** Another model, scored on the kept facts as they stood at each sample day. */
export function historyFromState(customerId: string, state: CustomerState, cfg: TenureConfig, until: number, stepDays: number): ReplayedHistory {
  const churned = churnedAt(state);
  const first = state.profile.firstSeenAt;
  if (first === undefined) return { customerId, points: [], churnedAt: churned };
  let band: ReturnType<typeof scoreCustomer>["health"]["band"] | undefined;
  const points: { at: number; score: number }[] = [];
  for (const at of sampleDays(first, until, stepDays)) {
    if (churned !== null && at >= churned) break;
    const scored = scoreCustomer(stateAsOf(state, at), at, cfg, band, { d7: null, d30: null });
    band = scored.health.band;
    points.push({ at, score: scored.health.score });
  }
  return { customerId, points, churnedAt: churned };
}

/** Loads a page's states and timelines. */
export async function loadReplayPage(db: D1Database, ids: string[]) {
  const [customers, series] = await Promise.all([loadCustomers(db, ids), loadScoreSeries(db, ids)]);
  return { customers, series };
}
