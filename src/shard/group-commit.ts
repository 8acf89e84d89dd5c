import type { CustomerGroups, PipelineDeps, ProcessResult, Resolved } from "../pipeline";
import { emptyResult } from "../pipeline";

/** What a consumer hands a shard: the resolved groups of its customers and the batch's settings (all plain data). */
export interface ShardRequest {
  deps: Omit<PipelineDeps, "db">;
  groups: CustomerGroups;
}

/** At most this many customers are applied in one turn: about one consumer batch, well within a request's D1 budget. */
export const CUSTOMERS_PER_TURN = 100;

/**
 * The requests waiting at the head of the shard's line that one turn applies together: in order, as long as they
 * share the batch's settings (all but the clock) and stay within CUSTOMERS_PER_TURN; at least the first.
 */
export function takeTurn<T extends { req: ShardRequest }>(waiting: T[]): T[] {
  const key = settingsKey(waiting[0]!.req);
  let customers = 0;
  let n = 0;
  while (n < waiting.length) {
    const req = waiting[n]!.req;
    if (n > 0 && (customers + req.groups.length > CUSTOMERS_PER_TURN || settingsKey(req) !== key)) break;
    customers += req.groups.length;
    n++;
  }
  return waiting.splice(0, n);
}

const settingsKey = (req: ShardRequest) => JSON.stringify({ ...req.deps, now: 0 });

/**
 * Several requests as one: each customer's rows from all of them in one group (a row two consumers both claimed, a
 * duplicate message, once), and the latest clock.
 */
export function mergeRequests(reqs: readonly ShardRequest[]): ShardRequest {
  const groups = new Map<string, Resolved[]>();
  const seen = new Set<string>();
  for (const req of reqs) {
    for (const [customerId, group] of req.groups) {
      const list = groups.get(customerId) ?? [];
      for (const r of group) if (!seen.has(r.row.id) && seen.add(r.row.id)) list.push(r);
      groups.set(customerId, list);
    }
  }
  return { deps: { ...reqs[0]!.deps, now: Math.max(...reqs.map((r) => r.deps.now)) }, groups: [...groups] };
}

/**
 * Each request's answer from the turn's: its own rows done or retried (a row the turn did not report is retried);
 * each timeline job with the first request that holds its customer; the turn's other outcomes (outbox ids to
 * enqueue, keys linked) with the first request, whose consumer acts on them once. Outbox rows its consumer never
 * enqueues are left to the outbox sweeper, as when a shard's answer is lost.
 */
export function splitResult(result: ProcessResult, reqs: readonly ShardRequest[]): ProcessResult[] {
  const done = new Set(result.done);
  const retry = new Set(result.retry);
  const holder = new Map<string, number>();
  reqs.forEach((req, i) => req.groups.forEach(([customerId]) => holder.has(customerId) || holder.set(customerId, i)));
  return reqs.map((req, i) => {
    const rows = req.groups.flatMap(([, group]) => group.map((g) => g.row.id));
    const part = i === 0 ? { ...result, done: [] as string[], retry: [] as string[] } : emptyResult();
    part.timelineJobs = result.timelineJobs.filter((j) => (holder.get(j.customerId) ?? 0) === i);
    for (const id of rows) (done.has(id) && !retry.has(id) ? part.done : part.retry).push(id);
    return part;
  });
}

type Waiting = { req: ShardRequest; resolve: (r: ProcessResult) => void; reject: (err: unknown) => void };

/**
 * A shard's line: `apply` queues a request, and each turn (run in turn with the shard's other work by `inTurn`)
 * takes the requests waiting when it starts, applies them as one (`applyTurn`) and answers each with its part.
 * A turn that fails fails every request it took.
 */
export function shardLine(
  inTurn: (work: () => Promise<void>) => Promise<void>,
  applyTurn: (merged: ShardRequest, requests: number) => Promise<ProcessResult>,
): (req: ShardRequest) => Promise<ProcessResult> {
  const waiting: Waiting[] = [];
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    void inTurn(async () => {
      scheduled = false;
      const taken = takeTurn(waiting);
      if (waiting.length > 0) schedule();
      const reqs = taken.map((t) => t.req);
      try {
        const result = await applyTurn(mergeRequests(reqs), reqs.length);
        splitResult(result, reqs).forEach((part, i) => taken[i]!.resolve(part));
      } catch (err) {
        for (const t of taken) t.reject(err);
      }
    });
  };
  return (req) =>
    new Promise<ProcessResult>((resolve, reject) => {
      waiting.push({ req, resolve, reject });
      schedule();
    });
}
