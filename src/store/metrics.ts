import type { LoyaltyData, MetricCustomer, ScorePoint, StageTransition } from "../core/metrics";
import { DAY, emptyState } from "../core/state";
import { loadLoyalty } from "./loyalty-dashboard";

/**
 * The SQL behind the metrics. Only the parts of each customer's state that metrics read are loaded
 * (billing, survey responses, usage event summary, the dates of usage days, tickets), so a large
 * portfolio does not ship every user list out of D1.
 */

type CustomerRow = {
  id: string;
  name: string | null;
  band: string | null;
  stage: string | null;
  mrr: number;
  currency: string | null;
  segments: string | null;
  subscriptions: string | null;
  invoices: string | null;
  responses: string | null;
  usage_events: string | null;
  usage_days: string | null;
  tickets: string | null;
  closed: string | null;
};

const customersSql = `SELECT id, name, band, stage, mrr, currency,
    json_extract(health, '$.snapshot.segments') AS segments,
    json_extract(state, '$.billing.subscriptions') AS subscriptions,
    json_extract(state, '$.billing.invoices') AS invoices,
    json_extract(state, '$.sentiment.responses') AS responses,
    json_extract(state, '$.usage.events') AS usage_events,
    (SELECT json_group_array(key) FROM json_each(customers.state, '$.usage.days')) AS usage_days,
    json_extract(state, '$.support.tickets') AS tickets,
    json_extract(state, '$.support.closed') AS closed
  FROM customers`;

const json = <T>(text: string | null, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);

function toCustomer(r: CustomerRow): MetricCustomer {
  const state = emptyState();
  state.billing.subscriptions = json(r.subscriptions, {});
  state.billing.invoices = json(r.invoices, {});
  state.sentiment.responses = json(r.responses, {});
  state.usage.events = json(r.usage_events, {});
  for (const day of json<string[]>(r.usage_days, [])) state.usage.days[day] = { u: { h: [] }, f: [] };
  state.support.tickets = json(r.tickets, {});
  state.support.closed = json(r.closed, {});
  return { id: r.id, name: r.name, band: r.band, stage: r.stage, mrr: r.mrr, currency: r.currency, segments: json(r.segments, []), state };
}

export interface MetricsRows {
  customers: MetricCustomer[];
  transitions: StageTransition[];
  loyalty: LoyaltyData | null;
}

/** Everything computeMetrics needs, in one D1 batch (plus the loyalty tables when they exist). */
export async function loadMetricsRows(db: D1Database, to: number): Promise<MetricsRows> {
  const [customers, transitions] = await db.batch<Record<string, unknown>>([
    db.prepare(customersSql),
    db.prepare(`SELECT customer_id, at, from_stage, to_stage FROM stage_transitions WHERE at < ? ORDER BY at`).bind(to),
  ]);
  return {
    customers: (customers!.results as CustomerRow[]).map(toCustomer),
    transitions: (transitions!.results as { customer_id: string; at: number; from_stage: string | null; to_stage: string }[]).map((t) => ({
      customerId: t.customer_id,
      at: t.at,
      from: t.from_stage,
      to: t.to_stage,
    })),
    loyalty: await loadLoyalty(db),
  };
}

/**
 * Score points of the days in [from, to) plus each customer's last point before `from` (a score holds until
 * the next). Timeline points sit at each day's close, so the day that holds `to` is read whole: today's
 * point is the provisional close, scored as of now.
 */
export async function loadScorePoints(db: D1Database, from: number, to: number, customerId?: string, stepDays = 1): Promise<ScorePoint[]> {
  const one = customerId ? "AND customer_id = ?" : "";
  const end = Math.ceil(to / DAY) * DAY;
  const step = Math.max(1, Math.floor(stepDays)) * DAY;
  // With a step of several days only each customer's last point of each step is read: a year of a large
  // portfolio stays a few rows per customer, and the score at each step's close is still exact.
  const inWindow = stepDays > 1 ? `SELECT customer_id, MAX(at) AS at, score FROM score_history WHERE at >= ? AND at < ? ${one} GROUP BY customer_id, at / ${step}` : `SELECT customer_id, at, score FROM score_history WHERE at >= ? AND at < ? ${one}`;
  const args = customerId ? [from, end, customerId, from, customerId] : [from, end, from];
  const { results } = await db
    .prepare(
      `${inWindow}
       UNION ALL
       SELECT customer_id, MAX(at) AS at, score FROM score_history WHERE at < ? ${one} GROUP BY customer_id`,
    )
    .bind(...args)
    .all<{ customer_id: string; at: number; score: number }>();
  return results.map((r) => ({ customerId: r.customer_id, at: r.at, score: r.score }));
}
