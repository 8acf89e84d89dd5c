import type { Action } from "./core/actions";
import type { Sighting } from "./core/contact-upsert";
import type { StageChange, TimelinePoint } from "./core/timeline";
import { log, errorFields } from "./log";
import type { ProcessResult, Resolved, TimelineJob } from "./pipeline";
import { isApplyGuardFailure, markAppliedStmts, type AppliedGuard } from "./store/apply-guard";
import { customerUpdateStmts, type CustomerRow, type CustomerWrite } from "./store/customers";
import { keyString, upsertContactsStmt, type IdentityKey } from "./store/identity";
import type { ProgramPosition } from "./store/loyalty";
import { pointsUpsertStmts, stagesUpsertStmts, type StoredPoint } from "./store/timeline";

/** An existing customer's row as a step leaves it, written by the commit with the other customers' rows. */
export type CustomerUpdate = { w: CustomerWrite; cols: (string | number | null)[] };

/** One customer's step, planned and not yet committed. */
export type Step = {
  customerId: string;
  group: Resolved[];
  /** The inbox rows it applies and what it read of the customer: the commit's guard. */
  guard: AppliedGuard;
  /** The customer row of an existing customer (a new one's insert is in `stmts`). */
  update: CustomerUpdate | null;
  /** The step's other writes, in order. */
  stmts: D1PreparedStatement[];
  /** Timeline points that differ from the stored ones, and the stage changes of the recomputed days. */
  points: TimelinePoint[];
  stages: StageChange[];
  /** People whose stored row the step changes. */
  contacts: Sighting[];
  actions: Action[];
  newKeys: IdentityKey[];
  timelineJob: TimelineJob | null;
  /** The customer row and the timeline from `since` on (with the point before it) as the commit leaves them. */
  row: CustomerRow;
  externalIds: Record<string, string[]>;
  since: number;
  history: StoredPoint[];
  /** The loyalty position as the commit leaves it, when the step's own writes did not move it. */
  position: ProgramPosition | null;
};

/** At most this many customers' steps per D1 batch (one transaction). */
const CUSTOMERS_PER_COMMIT = 20;

/**
 * The statements of one D1 batch that commits several customers' steps. What every step writes is written for all
 * of them at once: the inbox rows under each customer's guard, the customer rows, the timeline points, the stage
 * changes and the contacts, each one statement (more only where D1's string limit splits its JSON). The rest of
 * each step follows the guards and customer rows in the step's own order. A customer's step used to spend a
 * statement on each; at the target's spread (one event per customer step) they were most of D1's statements per
 * event. The points and stage changes follow the steps' deletes of the same days, which spare them.
 *
 * Reordering is safe because no statement of a step reads what another step writes: the guards read identities,
 * customers' versions and loyalty counters, which only the steps' own keys and rows move, and two steps never link
 * the same key in one commit (`sharesLinks`).
 */
export function commitStatements(db: D1Database, steps: readonly Step[], now: number): D1PreparedStatement[] {
  const updates = steps.flatMap((s) => (s.update ? [s.update] : []));
  const points = steps.filter((s) => s.points.length > 0).map((s) => ({ customerId: s.customerId, points: s.points }));
  const stages = steps.filter((s) => s.stages.length > 0).map((s) => ({ customerId: s.customerId, stages: s.stages }));
  const contacts = steps.flatMap((s) => s.contacts);
  return [
    ...markAppliedStmts(
      db,
      steps.map((s) => s.guard),
      now,
    ),
    ...customerUpdateStmts(db, updates),
    ...steps.flatMap((s) => s.stmts),
    ...pointsUpsertStmts(db, points),
    ...stagesUpsertStmts(db, stages),
    ...(contacts.length > 0 ? [upsertContactsStmt(db, contacts, now)] : []),
  ];
}

/** Two steps link the same key: each needs its own guard to run after the other's link (one commits, one retries). */
function sharesLinks(steps: readonly Step[]): boolean {
  const seen = new Set<string>();
  for (const s of steps) {
    for (const k of s.guard.linking) {
      if (seen.has(keyString(k))) return true;
      seen.add(keyString(k));
    }
  }
  return false;
}

/**
 * Commits several customers' steps per D1 batch (one transaction, far fewer statements and syncs under load). If a
 * batch fails (a guard lost a race), its customers are committed one by one so only the loser retries.
 */
export async function commitSteps(db: D1Database, steps: Step[], result: ProcessResult, now: number): Promise<Step[]> {
  const committed: Step[] = [];
  const done = (s: Step) => {
    committed.push(s);
    result.done.push(...s.group.map((g) => g.row.id));
    result.actionIds.push(...s.actions.map((a) => a.id));
    result.newKeys.push(...s.newKeys);
    if (s.timelineJob) result.timelineJobs.push(s.timelineJob);
  };
  for (let i = 0; i < steps.length; i += CUSTOMERS_PER_COMMIT) {
    const chunk = steps.slice(i, i + CUSTOMERS_PER_COMMIT);
    if (!sharesLinks(chunk)) {
      try {
        await db.batch(commitStatements(db, chunk, now));
        chunk.forEach(done);
        continue;
      } catch {
        // fall through to one commit per customer
      }
    }
    for (const s of chunk) {
      try {
        await db.batch(commitStatements(db, [s], now));
        done(s);
      } catch (err) {
        if (isApplyGuardFailure(err)) log("info", "customer commit refused by its guard (another writer moved the customer, its ids, its loyalty position or its rows); will retry", { customerId: s.customerId, events: s.group.length });
        else log("warn", "customer commit failed; will retry", { customerId: s.customerId, events: s.group.length, ...errorFields(err) });
        result.retry.push(...s.group.map((g) => g.row.id));
      }
    }
  }
  return committed;
}
