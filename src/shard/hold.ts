import type { EventMessage } from "../env";
import { enqueue, sendTimelineJobs } from "../jobs/enqueue";
import { scrubErasedArrivals } from "../jobs/erase-arrivals";
import { errorFields, log } from "../log";
import { applyGroups, emptyResult, type CustomerGroups, type PipelineDeps, type ProcessResult, type Resolved } from "../pipeline";
import { carriedBytes, deliveryOf, sendCarried, storedInboxIds } from "../store/carried";
import type { CustomerCopies } from "./customer-copy";
import { CUSTOMERS_PER_TURN, type ShardRequest } from "./group-commit";
import type { HeldRows, HeldSettings } from "./held";

/**
 * Holding usage deliveries in the shard (SHARD_HOLD_MS). At the target's spread nearly every event is its own
 * customer's step, so what a D1 commit costs per event depends on how many customers it holds (src/pipeline-commit.ts).
 * A shard holds the usage deliveries it is handed for a few seconds, in its own storage, answers at once (the consumer
 * acks them), and its alarm applies everything held for up to CUSTOMERS_PER_TURN customers in one commit: the
 * statements per event fall with the hold instead of depending on how many requests happen to wait for a turn, and a
 * customer's events within the hold are one step.
 *
 * Only what can wait and be applied later exactly as now is held: deliveries carried on the queue (no inbox row
 * exists; the commit inserts it), to a customer that exists, linking no new id. Everything else is applied at once,
 * and takes its customer's held rows along. A held row that cannot be applied (its customer merged away, a commit
 * that keeps failing) goes back to the events queue marked `direct`, and follows the ordinary path from there:
 * resolution, retries, the dead-letter queue.
 */
export function splitHeld(groups: CustomerGroups, holdMs: number): { hold: CustomerGroups; direct: CustomerGroups } {
  const hold: CustomerGroups = [];
  const direct: CustomerGroups = [];
  for (const g of groups) (holdMs > 0 && g[1].every(canWait) ? hold : direct).push(g);
  return { hold, direct };
}

function canWait(r: Resolved): boolean {
  const c = r.row.carried;
  return c !== undefined && !c.direct && !r.defer && !(r.conflicts && r.conflicts.length > 0) && r.fresh.every((k) => k.kind === "contact");
}

/**
 * A shard's request: what can wait is held (`keep` writes it to the shard's storage before the answer leaves), the
 * rest goes to the shard's line (`line`) and is applied in a turn. Held rows are answered as done.
 */
export async function holdOrApply(
  req: ShardRequest,
  keep: (hold: CustomerGroups, dueAt: number, settings: HeldSettings) => Promise<void>,
  line: (req: ShardRequest) => Promise<ProcessResult>,
): Promise<ProcessResult> {
  const holdMs = req.deps.holdMs ?? 0;
  const { hold, direct } = splitHeld(req.groups, holdMs);
  const held = hold.flatMap(([, group]) => group.map((g) => g.row.id));
  if (hold.length > 0) {
    const { now: _now, ...settings } = req.deps;
    await keep(hold, Date.now() + holdMs, settings);
  }
  if (direct.length === 0) return { ...emptyResult(), done: held };
  const result = await line({ ...req, groups: direct });
  return { ...result, done: [...result.done, ...held] };
}

/** A turn applied at once also applies what its customers hold, and releases those of them it committed. */
export async function applyWithHeld(held: HeldRows, deps: PipelineDeps, groups: CustomerGroups, copies?: CustomerCopies): Promise<ProcessResult> {
  const extra = held.forCustomers(groups.map(([id]) => id));
  if (extra.length === 0) return applyGroups(deps, groups, copies);
  // A row whose flush committed before the object could release it is in the inbox already: its insert would fail the commit.
  const stored = await storedInboxIds(deps.db, extra.flatMap(([, group]) => group.map((g) => g.row.id)));
  held.release([...stored]);
  const byCustomer = new Map(groups.map(([id, group]) => [id, [...group]]));
  const seen = new Set([...stored, ...groups.flatMap(([, group]) => group.map((g) => g.row.id))]);
  const taken: string[] = [];
  for (const [id, group] of extra) {
    for (const r of group) {
      if (seen.has(r.row.id)) continue;
      byCustomer.get(id)?.push(r);
      taken.push(r.row.id);
    }
  }
  const result = await applyGroups(deps, [...byCustomer], copies);
  const done = new Set(result.done);
  held.release(taken.filter((id) => done.has(id)));
  return result;
}

/** Rows a flush takes at most: a commit's carried inserts are split under D1's string limit anyway (src/store/limits.ts). */
export const HELD_ROWS_PER_FLUSH = 500;
/** A flush that failed as a whole (D1 unreachable) is tried again this much later. */
export const FLUSH_RETRY_MS = 30_000;

export interface FlushPorts {
  db: D1Database;
  copies?: CustomerCopies;
  events: Queue<EventMessage>;
  actions: Queue<{ actionId: string }>;
}

export interface FlushOutcome {
  /** Rows applied, found already stored, and sent back to the queue. */
  applied: number;
  stored: number;
  returned: number;
}

/**
 * One page of the shard's alarm: the customers whose held rows are due, applied together. The caller runs it in turn
 * with the shard's requests and re-arms the alarm for `held.nextDue()`.
 */
export async function flushHeld(held: HeldRows, ports: FlushPorts, now: number): Promise<FlushOutcome> {
  const outcome: FlushOutcome = { applied: 0, stored: 0, returned: 0 };
  const { deps: settings, groups } = held.due(now, CUSTOMERS_PER_TURN, HELD_ROWS_PER_FLUSH);
  if (groups.length === 0) return outcome;
  const taken = groups.flatMap(([, group]) => group.map((g) => g.row.id));
  if (settings === null) {
    // Written with every held row; without them there is no configuration to apply with.
    log("error", "held rows without their settings; the shard tries again", { rows: taken.length });
    held.postpone(taken, now + FLUSH_RETRY_MS);
    return outcome;
  }
  let result: ProcessResult;
  let rows: Map<string, Resolved>;
  try {
    // Applied meanwhile by another path (a duplicate delivery applied at once, on another shard after a change of
    // ACCOUNT_SHARDS): the inbox row is there, so applying it again would only fail its commit.
    const stored = await storedInboxIds(ports.db, taken);
    held.release([...stored]);
    outcome.stored = stored.size;
    // A person erased while their facts were held: the erasure scrubbed D1 and the copies, not this storage.
    const pending = groups.flatMap(([, group]) => group.filter((g) => !stored.has(g.row.id)));
    const scrubbed = new Map((await scrubErasedArrivals(ports.db, pending.map((g) => g.row), now)).map((row) => [row.id, row]));
    rows = new Map(pending.map((g) => [g.row.id, { ...g, row: scrubbed.get(g.row.id) ?? g.row }]));
    const apply: CustomerGroups = [];
    for (const [id, group] of groups) {
      const kept = group.flatMap((g) => rows.get(g.row.id) ?? []);
      if (kept.length > 0) apply.push([id, kept]);
    }
    result = apply.length > 0 ? await applyGroups({ ...settings, db: ports.db, now }, apply, ports.copies) : emptyResult();
  } catch (err) {
    log("warn", "held rows could not be applied; the shard tries again", { rows: taken.length, ...errorFields(err) });
    held.postpone(taken, now + FLUSH_RETRY_MS);
    return outcome;
  }
  const done = new Set(result.done);
  const applied = [...rows.keys()].filter((id) => done.has(id));
  held.release(applied);
  outcome.applied = applied.length;
  const back = [...rows.values()].filter((r) => !done.has(r.row.id));
  if (back.length > 0) {
    try {
      const deliveries = back.map((r) => deliveryOf(r.row)).map((delivery) => ({ delivery, bytes: carriedBytes(delivery) }));
      await sendCarried(ports.events, deliveries, true);
      held.release(back.map((r) => r.row.id));
      outcome.returned = back.length;
    } catch (err) {
      log("warn", "held rows could not go back to the queue; the shard tries again", { rows: back.length, ...errorFields(err) });
      held.postpone(back.map((r) => r.row.id), now + FLUSH_RETRY_MS);
    }
  }
  // Both are recorded in D1 by the commit: a send lost here is the outbox sweeper's and the timeline sweeper's to redo.
  await enqueue(ports.actions, result.actionIds.map((actionId) => ({ actionId })));
  await sendTimelineJobs({ EVENTS: ports.events }, result.timelineJobs);
  return outcome;
}
