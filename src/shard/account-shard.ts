import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { CustomerGroups, ProcessResult } from "../pipeline";
import { shardLine, type ShardRequest } from "./group-commit";
import { COPY_RETENTION_MS, SqlCustomerCopies } from "./customer-copy";
import { SqlHeldRows, type HeldSettings } from "./held";
import { applyWithHeld, flushHeld, holdOrApply, type FlushOutcome } from "./hold";
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
 *
 * Usage deliveries can also be held here for SHARD_HOLD_MS (src/shard/hold.ts): kept in the object's storage, answered
 * at once, and applied by the object's alarm for up to 100 customers in one commit.
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
      const result = await applyWithHeld(this.held, { ...merged.deps, db: this.env.DB }, merged.groups, this.copies);
      await this.armAlarm(Date.now() + COPY_RETENTION_MS);
      return result;
    },
  );
  private readonly copies: SqlCustomerCopies;
  private readonly held: SqlHeldRows;
  /** When the alarm is set for, once looked up (undefined) or after it fired (null). */
  private alarmAt: number | null | undefined;
  private flushed: FlushOutcome = { applied: 0, stored: 0, returned: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.copies = new SqlCustomerCopies(ctx.storage.sql);
    this.held = new SqlHeldRows(ctx.storage.sql);
  }

  /**
   * Held rows are written before the answer leaves (the object's storage is durable by then), so the consumer may ack
   * them; the rest wait for a turn.
   */
  apply(req: ShardRequest): Promise<ProcessResult> {
    const keep = async (hold: CustomerGroups, dueAt: number, settings: HeldSettings) => {
      this.held.hold(hold, dueAt, settings);
      await this.armAlarm(dueAt);
    };
    return holdOrApply(req, keep, this.line);
  }

  /**
   * The alarm serves both the held rows (due within seconds) and the copies' retention (a shard no longer used after
   * ACCOUNT_SHARDS is lowered still deletes its copies). Only ever moved earlier here; the alarm sets the next one.
   */
  private async armAlarm(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
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

  /** One page of held rows (bounded: CUSTOMERS_PER_TURN customers, HELD_ROWS_PER_FLUSH rows), then the next alarm. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    try {
      const out = await this.inTurn(() => flushHeld(this.held, { db: this.env.DB, copies: this.copies, events: this.env.EVENTS, actions: this.env.ACTIONS }, now));
      this.flushed = { applied: this.flushed.applied + out.applied, stored: this.flushed.stored + out.stored, returned: this.flushed.returned + out.returned };
    } finally {
      const held = this.held.nextDue();
      const copies = this.copies.prune(now);
      const next = Math.min(held === null ? Infinity : Math.max(held, Date.now()), copies ?? Infinity);
      if (next !== Infinity) await this.armAlarm(next);
    }
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** How many usage deliveries this shard holds (GET /health). */
  holding(): number {
    return this.held.count();
  }

  /** Requests, customers and turns applied since this instance started, what its alarms flushed, and what it holds (tests and diagnostics). */
  stats(): { requests: number; customers: number; turns: number; flushed: FlushOutcome; holding: number } {
    return { ...this.served, flushed: { ...this.flushed }, holding: this.held.count() };
  }
}
