import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { applyGroups, type CustomerGroups, type PipelineDeps, type ProcessResult } from "../pipeline";

/** What a consumer hands a shard: the resolved groups of its customers and the batch's settings (all plain data). */
export interface ShardRequest {
  deps: Omit<PipelineDeps, "db">;
  groups: CustomerGroups;
}

/**
 * The accounts of one shard (src/shard/route.ts picks it from the customer id) are applied here, one request at
 * a time: a Durable Object is one instance deployment-wide, so batches consumed in parallel never apply the same
 * customer at once, and throughput grows with the number of shards instead of stopping at one consumer.
 *
 * Nothing is kept in the object: the request carries inbox rows already claimed, the commit goes to D1 with the
 * inbox status, identity links and customer version in one batch, and a call that fails or never answers leaves
 * the rows `received` for the consumer to retry. An object evicted mid-call loses nothing but the call.
 */
export class AccountShard extends DurableObject<Env> {
  /** Requests run one after another; awaiting D1 would otherwise let the next one interleave. */
  private tail: Promise<unknown> = Promise.resolve();
  private served = { requests: 0, customers: 0 };

  apply(req: ShardRequest): Promise<ProcessResult> {
    const run = this.tail.then(() => {
      this.served.requests += 1;
      this.served.customers += req.groups.length;
      return applyGroups({ ...req.deps, db: this.env.DB }, req.groups);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Requests and customers applied since this instance started (tests and diagnostics). */
  stats(): { requests: number; customers: number } {
    return { ...this.served };
  }
}
