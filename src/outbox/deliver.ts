import type { Connector, ConnectorDeps, DeliveryOutcome, OutboxAction } from "../../connectors/connector";
import type { Destination } from "../core/actions";
import type { Config } from "../env";
import { log } from "../log";
import { getAction, leaseDue, markDeliveredStmt, markFinalStmt, markRetryStmt, type OutboxRow } from "../store/outbox";
import { supersededAlerts } from "./alert-check";
import { nextDelay } from "./backoff";
import { changedProperties, loadSynced, syncedStmts } from "./hubspot-sync";

export type ConnectorRegistry = Record<Destination, Connector>;

export interface DeliverDeps {
  db: D1Database;
  cfg: Config;
  connectors: ConnectorRegistry;
  fetch: typeof fetch;
  now: () => number;
  /** Optional gate (rate limiter / circuit breaker): how long to wait before calling, 0 = go. */
  gate?: (destination: Destination, calls: number) => Promise<number>;
  report?: (destination: Destination, outcomes: DeliveryOutcome[]) => Promise<void>;
}

const LEASE_MS = 60_000;

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
  const { send, unchanged, sentProps } = await dropUnchanged(deps.db, rows.filter((r) => !superseded.has(r.id)));
  const stmts: D1PreparedStatement[] = unchanged.map((r) => markDeliveredStmt(deps.db, r.id, r.updatedAt, { unchanged: true }, now));
  for (const [id, reason] of superseded) stmts.push(markFinalStmt(deps.db, id, "skipped", reason, now));
  if (send.length > 0) {
    const wait = deps.gate ? await deps.gate(destination, 1) : 0;
    const outcomes: DeliveryOutcome[] =
      wait > 0
        ? send.map((a) => ({ id: a.id, status: "retry" as const, error: `${destination} paused by the rate limiter or circuit breaker`, retryAfterMs: wait }))
        : await connector.deliver(send, connectorDeps(deps));
    if (wait === 0) await deps.report?.(destination, outcomes);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const o of outcomes) {
      const row = byId.get(o.id);
      if (!row) continue;
      stmts.push(...outcomeStmts(deps.db, row, o, sentProps.get(o.id), deps.now(), wait > 0));
    }
  }
  if (stmts.length > 0) await deps.db.batch(stmts);
  return rows.length;
}

function outcomeStmts(db: D1Database, row: OutboxRow, o: DeliveryOutcome, props: Record<string, string> | undefined, now: number, paused: boolean): D1PreparedStatement[] {
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
      if (delay === null) {
        log("error", "action dead-lettered after its retry schedule", { actionId: row.id, attempts, error: o.error });
        return [markRetryStmt(db, row.id, attempts, now, o.error, true)];
      }
      return [markRetryStmt(db, row.id, attempts, now + delay, o.error, false)];
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

function connectorDeps(deps: DeliverDeps): ConnectorDeps {
  return {
    cfg: deps.cfg,
    fetch: deps.fetch,
    now: deps.now,
    lookupResult: async (actionId: string) => (await getAction(deps.db, actionId))?.result ?? null,
  };
}
