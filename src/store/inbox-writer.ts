import { AppError } from "../errors";
import { insertDeliveryStmt, insertedIds, saveDeliveries, toEnqueue, type NewInboxRow } from "./inbox";

/**
 * Group commit for webhook ingest. Concurrent requests in one isolate share a D1 batch instead of
 * paying a round trip each: a request answers only after the batch holding its rows has committed,
 * so "2xx means durable" still holds. The rows of one flight are then enqueued with one send.
 *
 * Each waiting request parks on a promise it created itself and re-checks when a flight ends, so a
 * request whose client went away cannot stall the others; a flight runs under `waitUntil` so the
 * client of the request that started it cannot cancel it halfway.
 *
 * A request announces itself when it starts (`expectDelivery`). A flight about to take off waits, for a
 * few milliseconds at most, for the announced requests still verifying their bodies, so that they ride
 * along instead of each paying for a flight of their own. A lone request never waits.
 */

export interface WriterDeps {
  db: D1Database;
  /** Sends the ids of newly committed rows to the events queue; its failure is only logged (the sweeper recovers). */
  enqueue: (ids: string[]) => Promise<unknown>;
  waitUntil: (p: Promise<unknown>) => void;
}

interface Entry {
  rows: NewInboxRow[];
  /** When a flight took these rows; from then on only that flight can settle them. */
  takenAt?: number;
  outcome?: { inserted: string[] } | { error: unknown };
}

interface Group {
  queue: Entry[];
  flying: boolean;
  flightStartedAt: number;
  sleepers: Set<() => void>;
  /** Requests announced but not yet queued (or given up), with when each was announced. */
  expected: Map<Arrival, number>;
  /** Set while a flight waits for the expected requests. */
  onArrival?: () => void;
}

/** A request's announcement; `release` is idempotent and called when it queues its rows or fails. */
export interface Arrival {
  release(): void;
}

/** D1 takes up to 100 statements in one batch comfortably; a flight stays well under that. */
const MAX_ROWS_PER_FLIGHT = 50;
/**
 * A flight that has not finished in this long is treated as lost (its request died, or D1 hangs): queued rows
 * start another, and the requests whose rows it carried answer 503 so that their senders retry.
 */
const FLIGHT_STALE_MS = 10_000;
const RECHECK_MS = 1_000;
/** The longest a flight waits for announced requests to join it. */
const LINGER_MS = 4;
/** An announcement older than this is ignored: its request may have been cancelled before it could release it. */
const ARRIVAL_STALE_MS = 2_000;

const groups = new WeakMap<D1Database, Group>();

function groupFor(db: D1Database): Group {
  let g = groups.get(db);
  if (!g) groups.set(db, (g = { queue: [], flying: false, flightStartedAt: 0, sleepers: new Set(), expected: new Map() }));
  return g;
}

/** Announces a request that will probably commit rows soon, so that a flight taking off meanwhile can wait for it. */
export function expectDelivery(db: D1Database): Arrival {
  const g = groupFor(db);
  const arrival: Arrival = {
    release() {
      if (g.expected.delete(arrival) && !awaited(g)) g.onArrival?.();
    },
  };
  g.expected.set(arrival, Date.now());
  return arrival;
}

/** True while some request announced recently has not arrived yet; forgets stale announcements. */
function awaited(g: Group): boolean {
  const now = Date.now();
  for (const [arrival, since] of g.expected) {
    if (now - since <= ARRIVAL_STALE_MS) return true;
    g.expected.delete(arrival);
  }
  return false;
}

/**
 * Commits `rows` (a duplicate id changes nothing) together with whatever else is waiting; returns the ids
 * that were new. `arrival` is this request's announcement, released once its rows are queued.
 */
export async function commitDeliveries(deps: WriterDeps, rows: NewInboxRow[], arrival?: Arrival): Promise<string[]> {
  const g = groupFor(deps.db);
  if (rows.length === 0) {
    arrival?.release();
    return [];
  }
  const me: Entry = { rows };
  g.queue.push(me);
  arrival?.release();
  while (!me.outcome) {
    if (me.takenAt !== undefined && Date.now() - me.takenAt > FLIGHT_STALE_MS) throw unconfirmed();
    if (me.takenAt === undefined && (!g.flying || Date.now() - g.flightStartedAt > FLIGHT_STALE_MS)) {
      const flight = fly(g, deps);
      deps.waitUntil(flight.then((f) => f.enqueued));
      // Even the request that started a flight stops waiting for it once it is stale.
      await Promise.race([flight, nextWake(g)]);
    } else {
      await nextWake(g);
    }
  }
  if ("error" in me.outcome) throw me.outcome.error;
  return me.outcome.inserted;
}

/** The commit may or may not have happened; a retry is safe because a duplicate id changes nothing. */
function unconfirmed(): AppError {
  return new AppError(503, "commit_unconfirmed", "Tenure could not confirm that this delivery was stored; send it again (a duplicate is ignored).", {}, true);
}

/** Resolves when the current flight ends, or after a while regardless (to notice a lost flight). */
function nextWake(g: Group): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(wake, RECHECK_MS);
    function wake() {
      clearTimeout(timer);
      g.sleepers.delete(wake);
      resolve();
    }
    g.sleepers.add(wake);
  });
}

/** Commits the oldest waiting rows, wakes every waiter, and hands back the flight's enqueue. */
async function fly(g: Group, deps: WriterDeps): Promise<{ enqueued: Promise<unknown> }> {
  g.flying = true;
  g.flightStartedAt = Date.now();
  if (awaited(g)) await expectedArrivals(g);
  const batch = takeFlight(g.queue);
  try {
    if (batch.length > 0) await commitEntries(deps.db, batch);
  } finally {
    g.flying = false;
    for (const wake of [...g.sleepers]) wake();
  }
  const ids = batch.flatMap((e) => (e.outcome && "inserted" in e.outcome ? toEnqueue(e.rows, e.outcome.inserted) : []));
  // Wrapped so that awaiting the flight waits for the commit, not for the send.
  // Deferred a tick so that even a send that throws at once cannot fail requests whose rows are committed.
  return { enqueued: ids.length > 0 ? Promise.resolve().then(() => deps.enqueue(ids)) : Promise.resolve() };
}

/** Resolves when no announced request is still on its way, or after LINGER_MS. */
function expectedArrivals(g: Group): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, LINGER_MS);
    function done() {
      clearTimeout(timer);
      if (g.onArrival === done) g.onArrival = undefined;
      resolve();
    }
    g.onArrival = done;
  });
}

function takeFlight(queue: Entry[]): Entry[] {
  let n = 0;
  let rows = 0;
  while (n < queue.length && (n === 0 || rows + queue[n]!.rows.length <= MAX_ROWS_PER_FLIGHT)) rows += queue[n++]!.rows.length;
  const now = Date.now();
  const batch = queue.splice(0, n);
  for (const e of batch) e.takenAt = now;
  return batch;
}

/**
 * One transaction for the whole flight. If it fails, each request's rows are retried on their own, so
 * one bad delivery cannot fail the deliveries that happened to share its flight.
 */
async function commitEntries(db: D1Database, batch: Entry[]): Promise<void> {
  try {
    const results = await db.batch(batch.flatMap((e) => e.rows.map((r) => insertDeliveryStmt(db, r))));
    let offset = 0;
    for (const e of batch) {
      e.outcome = { inserted: insertedIds(e.rows, results.slice(offset, (offset += e.rows.length))) };
    }
    return;
  } catch (err) {
    if (batch.length === 1) {
      batch[0]!.outcome = { error: err };
      return;
    }
  }
  for (const e of batch) {
    try {
      e.outcome = { inserted: await saveDeliveries(db, e.rows) };
    } catch (err) {
      e.outcome = { error: err };
    }
  }
}
