import { ERASED, mentions, tombstoneKeys, type PersonIds } from "../core/erasure";
import { log } from "../log";
import {
  advanceErasureStmt,
  erasureGuardStmt,
  erasureSalt,
  finishErasureStmt,
  isGuardFailure,
  loadErasure,
  pseudonymOf,
  tombstoneHash,
  tombstoneStmts,
  type Erasure,
} from "../store/privacy";
import { COLLECT_STEPS, ERASE_STEPS } from "./erase-steps";
import type { EraseJob } from "./messages";
import { FORGET_PER_PAGE } from "../shard/customer-copy";

/**
 * One page of an erasure: one bounded page of one table (at most PAGE rows: one read, one batch of writes),
 * committed with the erasure's new position under a guard. Returns the message that continues it, or null
 * when it is done (or when a duplicate of this page already moved it on). A page that fails is retried by the
 * queue from the position it left, so every page is safe to repeat.
 */
export async function erasePage(db: D1Database, now: number, job: EraseJob, shards: ShardCopies = NO_SHARDS): Promise<EraseJob | null> {
  const e = await loadErasure(db, job.erasureId);
  if (!e || e.status === "done") return null;
  const step = ERASE_STEPS[e.step];
  if (!step && e.cursor < shards.count) {
    // The account shards' copies of customer rows were read from D1 before the scrub (or belong to customers merged
    // away since): every shard drops them, a page of shards at a time. A shard that cannot be reached fails the page.
    const to = Math.min(shards.count, e.cursor + FORGET_PER_PAGE);
    await shards.forget(e.cursor, to);
    return (await commit(db, e, [advanceErasureStmt(db, e.id, { step: e.step, cursor: to, ids: e.ids, counts: e.counts }, now)])) ? job : null;
  }
  if (!step) {
    await commit(db, e, [finishErasureStmt(db, e.id, publicContactId(e), e.counts, now)]);
    log("info", "erasure finished", { erasureId: e.id, counts: e.counts });
    return null;
  }
  const ids: PersonIds = structuredClone(e.ids);
  const r = await step.run(db, ids, e.cursor, now);
  const counts = r.changed > 0 ? { ...e.counts, [step.name]: (e.counts[step.name] ?? 0) + r.changed } : e.counts;
  const next = r.reached === null ? { step: e.step + 1, cursor: 0 } : { step: e.step, cursor: r.reached };
  const writes = [...r.writes];
  // Collected: from here on, a fact for them that arrives is recognised by its tombstone and scrubbed on arrival.
  if (next.step === COLLECT_STEPS && e.step < COLLECT_STEPS) writes.push(...(await tombstones(db, e.id, ids, now)));
  const ok = await commit(db, e, [...writes, advanceErasureStmt(db, e.id, { ...next, ids, counts }, now)]);
  return ok ? job : null;
}

/** The deployment's account shards, whose copies an erasure clears last. */
export interface ShardCopies {
  count: number;
  forget: (from: number, to: number) => Promise<void>;
}

const NO_SHARDS: ShardCopies = { count: 0, forget: async () => undefined };

async function commit(db: D1Database, e: Erasure, stmts: D1PreparedStatement[]): Promise<boolean> {
  try {
    await db.batch([erasureGuardStmt(db, e), ...stmts]);
    return true;
  } catch (err) {
    if (!isGuardFailure(err)) throw err;
    // Either a duplicate page moved the erasure on (then its chain goes on without this one), or a customer
    // write raced this page's (then the queue retries the page on fresh rows).
    const now = await loadErasure(db, e.id);
    if (now && (now.status !== e.status || now.step !== e.step || now.cursor !== e.cursor)) return false;
    throw err;
  }
}

/** Pseudonyms for their user ids, and the tombstones of every identifier collected. */
async function tombstones(db: D1Database, erasureId: string, ids: PersonIds, now: number): Promise<D1PreparedStatement[]> {
  const salt = (await erasureSalt(db, true))!;
  for (const u of ids.userIds) ids.pseudonyms[u] = await pseudonymOf(salt, u);
  const hashes = await Promise.all(tombstoneKeys(ids).map((k) => tombstoneHash(salt, k)));
  return tombstoneStmts(db, erasureId, hashes, now);
}

/** The contact id the finished record keeps: `segment:<their email>` names them, `hubspot:551` does not. */
function publicContactId(e: Erasure): string {
  return e.contactId.startsWith("hubspot:") || !mentions(e.contactId, e.ids, true) ? e.contactId : ERASED;
}
