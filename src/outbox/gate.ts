import { DurableObject } from "cloudflare:workers";
import type { DeliveryOutcome } from "../../connectors/connector";
import type { Destination } from "../core/actions";
import type { Config, Env } from "../env";
import { declaredRateLimit } from "../plugins/destinations";
import { admit, DEFAULT_POLICY, initialBreaker, parseRate, record, type BreakerState, type GatePolicy, type Outcome } from "./breaker";

/**
 * One rate limiter and circuit breaker per destination for the whole deployment (a Durable Object is a
 * single instance, unlike per-isolate limiters). Its state is in memory: losing it on eviction only
 * means a fresh window, and the vendor's own 429s still pause delivery.
 */
export class DeliveryGate extends DurableObject<Env> {
  private state: BreakerState = initialBreaker();

  acquire(policy: GatePolicy, calls: number, maxWaitMs = 0): number {
    const r = admit(this.state, policy, Date.now(), calls, maxWaitMs);
    this.state = r.state;
    return r.waitMs;
  }

  report(policy: GatePolicy, outcomes: Outcome[]): void {
    this.state = record(this.state, policy, Date.now(), outcomes);
  }

  status(): { mode: BreakerState["mode"]; openedAt: number | null; consecutiveFailures: number; recentCalls: number; recentFailures: number; pausedUntil: number | null; pauseReason: string | null } {
    const s = this.state;
    const now = Date.now();
    const recent = s.recent.filter(([t]) => t > now - DEFAULT_POLICY.windowMs);
    return {
      mode: s.mode,
      openedAt: s.openedAt,
      consecutiveFailures: s.consecutiveFailures,
      recentCalls: recent.length,
      recentFailures: recent.filter(([, ok]) => !ok).length,
      pausedUntil: s.pausedUntil > now ? s.pausedUntil : null,
      pauseReason: s.pausedUntil > now ? s.pauseReason : null,
    };
  }
}

export function gatePolicy(cfg: Config, destination: Destination): GatePolicy {
  const spec = { hubspot: cfg.HUBSPOT_RATE_LIMIT, slack: cfg.SLACK_RATE_LIMIT, stripe: cfg.STRIPE_RATE_LIMIT, zendesk: cfg.ZENDESK_RATE_LIMIT, webhook: cfg.WEBHOOK_RATE_LIMIT, declared: declaredRateLimit() }[destination];
  return { ...DEFAULT_POLICY, ...parseRate(spec) };
}

type GateStub = DurableObjectStub<DeliveryGate>;

export function gateStub(env: Env, destination: Destination): GateStub | null {
  const ns = env.GATE as DurableObjectNamespace<DeliveryGate> | undefined;
  return ns ? ns.get(ns.idFromName(destination)) : null;
}

/** One call's outcome for the breaker: any answer from the vendor means it is up; a 429 pauses instead. */
export function summarize(outcomes: DeliveryOutcome[]): Outcome[] {
  if (outcomes.length === 0) return [];
  const limited = outcomes.find((o) => o.status === "retry" && o.httpStatus === 429);
  if (limited && limited.status === "retry") return [{ ok: true, retryAfterMs: limited.retryAfterMs ?? 10_000, policy: limited.policy }];
  const ok = outcomes.some((o) => o.status !== "retry");
  return [{ ok }];
}
