import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { applyGroups, type ProcessResult } from "../pipeline";
import { shardLine, type ShardRequest } from "./group-commit";
import { COPY_RETENTION_MS, SqlCustomerCopies } from "./customer-copy";
import { timelinePage, type TimelinePage } from "../jobs/timeline";
import type { TenureConfig } from "../core/config";

export type { ShardRequest };

/**
 * The accounts of one shard (src/shard/route.ts picks it from the customer id) are applied here, one request at
 * a time: a Durable Object is one instance deployment-wide, so batches consumed in parallel never apply the same
 * customer at once, and throughput grows with the number of shards instead of stopping at one consumer.
 *
 * D1 stays the record: the request carries inbox rows already claimed, the commit goes to D1 with the inbox status,
 * identity links and customer version in one batch, and a call that fails or never answers leaves the rows
 * `received` for the consumer to retry. An object evicted mid-call loses nothing but the call. What the object
 * keeps is a copy of the customer rows and recent timelines its commits wrote (src/shard/customer-copy.ts), read
 * instead of D1 on the customer's next step and checked by that step's commit; the customers' timeline jobs run
 * here too, in turn with the steps, so that no other writer changes a copied timeline.
 *
 * Requests that arrive while a turn runs wait, and the next turn applies them together (src/shard/group-commit.ts):
 * their customers' steps share one D1 commit, whose statements are one per kind of write for all of them
 * (src/pipeline-commit.ts). The busier the deployment, the more customers a commit holds and the fewer D1
 * statements each event costs.
 */
export class AccountShard extends DurableObject<Env> {
  /** Requests run one after another; awaiting D1 would otherwise let the next one interleave. */
  private tail: Promise<unknown> = Promise.resolve();
  private served = { requests: 0, customers: 0, turns: 0 };
  private readonly line = shardLine(
    (work) => this.inTurn(work),
    async (merged, requests) => {
      this.served.turns += 1;
      this.served.requests += requests;
      this.served.customers += merged.groups.length;
      const result = await applyGroups({ ...merged.deps, db: this.env.DB }, merged.groups, this.copies);
      await this.armAlarm();
      return result;
    },
  );
  private readonly copies: SqlCustomerCopies;
  private alarmArmed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.copies = new SqlCustomerCopies(ctx.storage.sql);
  }

  apply(req: ShardRequest): Promise<ProcessResult> {
    return this.line(req);
  }

  /** A shard no longer used (ACCOUNT_SHARDS lowered) still deletes its copies once they are past their retention. */
  private async armAlarm(): Promise<void> {
    // Looked up once per instance: the alarm re-arms itself while copies remain.
    if (this.alarmArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + COPY_RETENTION_MS);
    this.alarmArmed = true;
  }

  /** One page of a customer's timeline job (src/jobs/timeline.ts): its copy of the timeline goes first, the page rewrites older days. */
  timeline(job: TimelinePage, cfg: TenureConfig, now: number): Promise<TimelinePage | null> {
    return this.inTurn(async () => {
      this.copies.dropTimeline(job.customerId);
      return timelinePage(this.env.DB, cfg, now, job);
    });
  }

  /** Deletes every copy: an erasure's last step, after it scrubbed the customer rows in D1 (src/jobs/erase.ts). */
  forget(): Promise<void> {
    return this.inTurn(async () => this.copies.clear());
  }

  override async alarm(): Promise<void> {
    const due = this.copies.prune(Date.now());
    if (due !== null) await this.ctx.storage.setAlarm(due);
    else this.alarmArmed = false;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Requests, customers and turns applied since this instance started (tests and diagnostics). */
  stats(): { requests: number; customers: number; turns: number } {
    return { ...this.served };
  }
}
