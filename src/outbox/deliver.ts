import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "../../connectors/connector";
import type { Destination } from "../core/actions";
import type { Config } from "../env";
import { log } from "../log";
import { getAction, leaseDue, markDeliveredStmt, markFinalStmt, markRetryStmt, type OutboxRow } from "../store/outbox";
import { markUnconfirmedStmt } from "../store/outbox-unconfirmed";
import { saveOwnerStmt } from "../store/owners";
import { supersededAlerts } from "./alert-check";
import { deliveredEffects } from "./delivered-effects";
import { heldForDigest } from "./digest-hold";
import { holdForDigestStmt } from "../store/digest";
import { nextDelay } from "./backoff";
import { changedProperties, loadSynced, syncedStmts } from "./hubspot-sync";
import { LEASE_RESERVE_MS, realTimers, vendorFetch, type Timers } from "./vendor-fetch";

export type ConnectorRegistry = Record<Destination, Connector>;

export interface DeliverDeps {
  db: D1Database;
  cfg: Config;
  connectors: ConnectorRegistry;
  fetch: typeof fetch;
  now: () => number;
  /**
   * Optional gate (rate limiter / circuit breaker), asked once per vendor request with the request's own
   * destination: how long to wait before calling. 0 = go (a token is taken); a wait of at most `maxWaitMs`
   * reserves the token for the end of the wait; a longer one takes nothing.
   */
  gate?: (destination: Destination, calls: number, maxWaitMs?: number) => Promise<number>;
  report?: (destination: Destination, outcomes: DeliveryOutcome[]) => Promise<void>;
  /** Sleeps and call timeouts; real timers unless a test drives the clock. */
  timers?: Timers;
  /** Hands actions a delivery planned (the next owners page) to the queue; the sweeper finds them if this fails. */
  send?: (actionIds: string[]) => Promise<void>;
  /** Hands inbox events a delivered lookup re-drove (src/outbox/delivered-effects.ts) to the events queue. */
  redrive?: (eventIds: string[]) => Promise<void>;
}

export const LEASE_MS = 60_000;

/**
 * Delivers due actions of one destination, preferring `ids`. Returns how many rows it handled.
 * Every outcome is written back before returning: delivered, retry (with its next time), or final.
 */
export async function deliverDestination(deps: DeliverDeps, destination: Destination, ids: string[]): Promise<number> {
  const connector = deps.connectors[destination];
  const now = deps.now();
  const rows = await leaseDue(deps.db, destination, ids, connector.maxBatch, now, LEASE_MS, connector.maxBatch > 1);
  if (rows.length === 0) return 0;

  const disabled = connector.disabledReason(deps.cfg);
  if (disabled) {
    await deps.db.batch(rows.map((r) => markFinalStmt(deps.db, r.id, "skipped", disabled, now)));
    log("warn", "actions skipped: connector disabled", { destination, count: rows.length, reason: disabled });
    return rows.length;
  }

  const superseded = await supersededAlerts(deps.db, rows);
  const held = heldForDigest(deps.cfg, rows.filter((r) => !superseded.has(r.id)));
  const { send, unchanged, sentProps } = await dropUnchanged(deps.db, rows.filter((r) => !superseded.has(r.id) && !held.has(r.id)));
  const delivered: { row: OutboxRow; result: unknown }[] = [];
  const stmts: D1PreparedStatement[] = unchanged.map((r) => markDeliveredStmt(deps.db, r.id, r.updatedAt, { unchanged: true }, now));
  for (const [id, reason] of superseded) stmts.push(markFinalStmt(deps.db, id, "skipped", reason, now));
  for (const id of held) stmts.push(holdForDigestStmt(deps.db, id, now));
  if (send.length > 0) {
    // Every call of this delivery ends before the lease does, so no other worker can send the same rows meanwhile.
    const calls = vendorFetch({
      cfg: deps.cfg,
      fetch: deps.fetch,
      now: deps.now,
      timers: deps.timers ?? realTimers,
      deadline: now + LEASE_MS - LEASE_RESERVE_MS,
      ...(deps.gate ? { gate: deps.gate } : {}),
    });
    const outcomes = await connector.deliver(send, connectorDeps(deps, calls.fetch));
    // Once our gate held a request back, the retries of this delivery are that pause, not the vendor failing.
    const pausedMs = calls.log.deferredMs;
    const isPause = (o: DeliveryOutcome) => pausedMs !== null && o.status === "retry";
    if (calls.log.sent[destination]) await deps.report?.(destination, outcomes.filter((o) => !isPause(o)));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const o of outcomes) {
      const row = byId.get(o.id);
      if (!row) continue;
      const outcome = isPause(o) ? { ...o, retryAfterMs: pausedMs ?? undefined } : o;
      if (o.status === "delivered") delivered.push({ row, result: o.result });
      stmts.push(...outcomeStmts(deps.db, row, outcome, sentProps.get(o.id), deps.now(), isPause(o), calls.log.unknown));
    }
  }
  const effects = await deliveredEffects(deps.db, delivered, deps.now());
  stmts.push(...effects.stmts);
  if (stmts.length > 0) await deps.db.batch(stmts);
  if (effects.eventIds.length > 0) {
    try {
      await deps.redrive?.(effects.eventIds);
    } catch (err) {
      log("warn", "re-driven events left for the sweeper", { events: effects.eventIds.length, error: String(err) });
    }
  }
  if (effects.actionIds.length > 0) {
    try {
      await deps.send?.(effects.actionIds);
    } catch (err) {
      log("warn", "follow-up actions left for the sweeper", { actions: effects.actionIds.length, error: String(err) });
    }
  }
  return rows.length;
}

function outcomeStmts(
  db: D1Database,
  row: OutboxRow,
  o: DeliveryOutcome,
  props: Record<string, string> | undefined,
  now: number,
  paused: boolean,
  unanswered: boolean,
): D1PreparedStatement[] {
  switch (o.status) {
    case "delivered":
      return [markDeliveredStmt(db, row.id, row.updatedAt, o.result, now), ...(props ? syncedStmts(db, row, props, now) : [])];
    case "permanent":
      log("warn", "action failed permanently", { actionId: row.id, status: o.httpStatus, error: o.error });
      return [markFinalStmt(db, row.id, "failed", o.error, now)];
    case "retry": {
      // A pause by our own gate is not the vendor failing: it does not use up the retry schedule.
      const attempts = paused ? row.attempts : row.attempts + 1;
      const delay = paused ? (o.retryAfterMs ?? 1000) : nextDelay(attempts, o.retryAfterMs);
      // A call that got no answer may still have acted: the next attempt looks before it acts again.
      const unknown = !paused && unanswered ? [markUnconfirmedStmt(db, row.id)] : [];
      if (delay === null) {
        log("error", "action dead-lettered after its retry schedule", { actionId: row.id, attempts, error: o.error });
        return [markRetryStmt(db, row.id, attempts, now, o.error, true), ...unknown];
      }
      return [markRetryStmt(db, row.id, attempts, now + delay, o.error, false), ...unknown];
    }
  }
}

async function dropUnchanged(db: D1Database, rows: OutboxRow[]) {
  const hubspotRows = rows.filter((r) => r.payload.type === "hubspot.properties");
  const synced = await loadSynced(db, hubspotRows.map((r) => (r.payload as { companyId: string }).companyId));
  const send: OutboxAction[] = [];
  const unchanged: OutboxRow[] = [];
  const sentProps = new Map<string, Record<string, string>>();
  for (const r of rows) {
    if (r.payload.type !== "hubspot.properties") {
      send.push({ id: r.id, customerId: r.customerId, payload: r.payload, attempts: r.attempts, unconfirmed: r.unconfirmed, createdAt: r.createdAt });
      continue;
    }
    const changed = changedProperties(r.payload.properties, synced.get(r.payload.companyId));
    if (!changed) {
      unchanged.push(r);
      continue;
    }
    sentProps.set(r.id, changed);
    send.push({ id: r.id, customerId: r.customerId, payload: { ...r.payload, properties: changed }, attempts: r.attempts, unconfirmed: r.unconfirmed, createdAt: r.createdAt });
  }
  return { send, unchanged, sentProps };
}

function connectorDeps(deps: DeliverDeps, fetch: typeof globalThis.fetch): ConnectorDeps {
  return {
    cfg: deps.cfg,
    fetch,
    now: deps.now,
    lookupResult: async (actionId: string) => (await getAction(deps.db, actionId))?.result ?? null,
    rememberOwners: async (owners) => {
      if (owners.length > 0) await deps.db.batch(owners.map((o) => saveOwnerStmt(deps.db, o, deps.now())));
    },
  };
}
