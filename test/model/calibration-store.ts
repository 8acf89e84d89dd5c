import { env } from "cloudflare:test";
import type { NormalizedEvent } from "../../src/core/events";
import { applyEvents } from "../../src/core/reduce";
import { emptyState } from "../../src/core/state";
import { saveCustomerStmts } from "../../src/store/customers";
import { cohort } from "../core/calibrate-cohort";

const sub = (id: string, at: number, status: "active" | "canceled", endedAt?: number): NormalizedEvent => ({
  id: `stripe:${id}:${status}`,
  source: "stripe",
  type: "subscription.changed",
  occurredAt: at,
  subject: { stripeCustomerId: id },
  subscriptionId: `sub_${id}`,
  status,
  mrr: 10_000,
  currency: "usd",
  cancelAtPeriodEnd: false,
  ...(endedAt ? { endedAt, canceledAt: endedAt } : {}),
});

/** A generated cohort stored as Tenure keeps it: each customer's state (with its churn) and its event-time timeline. */
export async function storeCohort(seed: number, n: number, hazard?: number) {
  const now = Date.now();
  const stmts: D1PreparedStatement[] = [];
  for (const h of cohort(seed, n, 80, hazard)) {
    const first = h.points[0]!;
    const events = [sub(h.customerId, first.at, "active"), ...(h.churnedAt ? [sub(h.customerId, h.churnedAt, "canceled", h.churnedAt)] : [])];
    const state = applyEvents(emptyState(), events);
    const last = h.points.at(-1)!;
    stmts.push(
      ...saveCustomerStmts(env.DB, {
        id: h.customerId, expectedVersion: null, name: h.customerId, domain: null, state, health: { score: last.score, band: "yellow", modelVersion: "2026-11-v1" },
        score: last.score, band: "yellow", stage: h.churnedAt ? "churned" : "renewal", stageSince: null, mrr: 10_000, currency: "usd", alerts: {}, timelineThrough: null, now,
      }),
      env.DB
        .prepare(
          `INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version)
           SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'yellow', 'renewal', json_extract(value, '$[2]'), '2026-11-v1' FROM json_each(?)`,
        )
        .bind(h.customerId, JSON.stringify(h.points.map((p) => [p.at, p.score, JSON.stringify(p.components)]))),
    );
  }
  for (let i = 0; i < stmts.length; i += 50) await env.DB.batch(stmts.slice(i, i + 50));
}
