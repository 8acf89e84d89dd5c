import { errorFields, log } from "../log";
import { applyGroups, emptyResult, mergeResults, type CustomerGroups, type PipelineDeps, type ProcessResult } from "../pipeline";
import type { AccountShard, ShardRequest } from "./account-shard";
import type { TenureConfig } from "../core/config";
import { timelinePage, type TimelinePage } from "../jobs/timeline";

/** The shard of a customer: FNV-1a of its id, modulo the deployment's shard count (`ACCOUNT_SHARDS`). */
export function shardOf(customerId: string, shards: number): number {
  let h = 2166136261;
  for (let i = 0; i < customerId.length; i++) h = Math.imul(h ^ customerId.charCodeAt(i), 16777619);
  return (h >>> 0) % Math.max(1, shards);
}

export const shardName = (n: number) => `shard:${n}`;

const stubOf = (ns: ShardNamespace, n: number) => ns.get(ns.idFromName(shardName(n)));

/** A namespace's stub for the shard's object, or a stand-in with the same one method (tests, benchmarks). */
export type ShardNamespace = Pick<DurableObjectNamespace<AccountShard>, "idFromName" | "get">;

/**
 * Applies resolved groups on their customers' shards, all shards at once. A shard that fails or cannot be
 * reached takes its rows to `retry` (they are still `received`; the redelivery claims and resolves them again).
 * Without shards (none bound, or `ACCOUNT_SHARDS` = 0) the groups are applied here, in this invocation.
 */
export async function applyOnShards(ns: ShardNamespace | undefined, shards: number, deps: PipelineDeps, groups: CustomerGroups): Promise<ProcessResult> {
  if (!ns || shards < 1) return applyGroups(deps, groups);
  const byShard = new Map<number, CustomerGroups>();
  for (const g of groups) {
    const n = shardOf(g[0], shards);
    byShard.set(n, [...(byShard.get(n) ?? []), g]);
  }
  const { db: _db, ...plain } = deps;
  const calls = [...byShard].map(async ([n, list]) => {
    const req: ShardRequest = { deps: plain, groups: list };
    try {
      return await stubOf(ns, n).apply(req);
    } catch (err) {
      log("warn", "account shard failed; its events will be retried", { shard: n, customers: list.length, ...errorFields(err) });
      return { ...emptyResult(), retry: list.flatMap(([, group]) => group.map((g) => g.row.id)) };
    }
  });
  return mergeResults(emptyResult(), ...((await Promise.all(calls)) as ProcessResult[]));
}

/** Counted over at most this many shards: /health answers in one round of Durable Object requests. */
const HELD_COUNT_MAX_SHARDS = 64;

/**
 * The usage deliveries the shards hold (src/shard/hold.ts): acked on the queue, not yet in the inbox. Null without a
 * hold, or over HELD_COUNT_MAX_SHARDS shards.
 */
export async function heldOnShards(ns: ShardNamespace | undefined, shards: number, holdMs: number): Promise<number | null> {
  if (!ns || shards < 1 || holdMs <= 0 || shards > HELD_COUNT_MAX_SHARDS) return null;
  const counts = await Promise.all(Array.from({ length: shards }, (_, n) => stubOf(ns, n).holding()));
  return counts.reduce((a, b) => a + b, 0);
}

/** Deletes the customer copies held by shards [from, to) (src/shard/customer-copy.ts); throws if one cannot be reached. */
export async function forgetCopies(ns: ShardNamespace | undefined, from: number, to: number): Promise<void> {
  if (!ns) return;
  const calls: Promise<void>[] = [];
  for (let n = from; n < to; n++) calls.push(stubOf(ns, n).forget());
  await Promise.all(calls);
}

/**
 * One page of a customer's timeline job, on the customer's shard (in turn with its steps, whose copy of the timeline
 * it replaces); here, without shards.
 */
export function timelineOnShard(ns: ShardNamespace | undefined, shards: number, db: D1Database, cfg: TenureConfig, now: number, job: TimelinePage): Promise<TimelinePage | null> {
  if (!ns || shards < 1) return timelinePage(db, cfg, now, job);
  return stubOf(ns, shardOf(job.customerId, shards)).timeline({ customerId: job.customerId, from: job.from, to: job.to, dueTo: job.dueTo, dueAt: job.dueAt }, cfg, now);
}
