import { connectors } from "../../connectors/registry";
import type { Destination } from "../core/actions";
import { loadConfig, type Env } from "../env";
import { deliverDestination, type DeliverDeps } from "./deliver";
import { gatePolicy, gateStub, summarize } from "./gate";
import { enqueue } from "../jobs/enqueue";

/** Wires the delivery loop to the real connectors and the Worker's fetch. */
export function deliverDeps(env: Env): DeliverDeps {
  const cfg = loadConfig(env);
  return {
    db: env.DB,
    cfg,
    connectors,
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    gate: async (destination, calls, maxWaitMs) => (await gateStub(env, destination)?.acquire(gatePolicy(cfg, destination), calls, maxWaitMs ?? 0)) ?? 0,
    report: async (destination, outcomes) => {
      await gateStub(env, destination)?.report(gatePolicy(cfg, destination), summarize(outcomes));
    },
    send: (ids) => enqueue(env.ACTIONS, ids.map((actionId) => ({ actionId }))),
    redrive: (ids) => enqueue(env.EVENTS, ids.map((eventId) => ({ eventId }))),
  };
}

/**
 * Delivers the given actions (and whatever else of their destinations is due, up to a batch).
 * Returns, for each id still pending afterwards, how long until its next attempt.
 */
export async function deliverAll(env: Env, ids: string[], deps: DeliverDeps = deliverDeps(env)): Promise<Map<string, number>> {
  const pending = new Map<string, number>();
  if (ids.length === 0) return pending;
  const rows = await env.DB.prepare(`SELECT id, destination FROM outbox WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<{ id: string; destination: Destination }>();
  const byDest = new Map<Destination, string[]>();
  for (const r of rows.results) byDest.set(r.destination, [...(byDest.get(r.destination) ?? []), r.id]);
  for (const [dest, destIds] of byDest) {
    // Keep leasing until this destination's ids are handled or nothing more is due.
    for (let guard = 0; guard < destIds.length + 1; guard++) {
      const left = await stillDue(env.DB, destIds, deps.now());
      if (left.length === 0) break;
      const handled = await deliverDestination(deps, dest, left);
      if (handled === 0) break;
    }
  }
  const after = await env.DB.prepare(`SELECT id, next_attempt_at, lease_until FROM outbox WHERE +status = 'pending' AND id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<{ id: string; next_attempt_at: number; lease_until: number | null }>();
  const now = deps.now();
  // A row another worker holds is looked at again when its lease ends, not before.
  for (const r of after.results) pending.set(r.id, Math.max(1000, r.next_attempt_at - now, (r.lease_until ?? 0) - now));
  return pending;
}

async function stillDue(db: D1Database, ids: string[], now: number): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT id FROM outbox WHERE +status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) AND id IN (SELECT value FROM json_each(?))`)
    .bind(now, now, JSON.stringify(ids))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
