import { DAY } from "./health/factors";
import type { Driver as HealthDriver } from "./health/score";

/** What the worklist reads of a stored driver. */
export type Driver = Pick<HealthDriver, "factor" | "impact" | "detail">;

/**
 * The CSM's worklist: which accounts need attention first, why, and what to do next.
 * Pure: `now` is a parameter.
 */

/** Below this share of model weight backed by data, a score is shown as tentative. */
export const TENTATIVE_COVERAGE = 0.5;

export function isTentative(coverage: number | null | undefined): boolean {
  return coverage == null || !(coverage >= TENTATIVE_COVERAGE);
}

/**
 * MRR at risk, in the customer's own currency (minor units): MRR × (100 − score) / 100. A perfect score
 * puts nothing at risk, a zero score all of it. The store orders by the same product (`mrr * (100 - score)`).
 */
export function mrrAtRisk(score: number, mrr: number): number {
  const s = Math.min(100, Math.max(0, score));
  return Math.round((Math.max(0, mrr) * (100 - s)) / 100);
}

/** The drivers that pull the score down, worst first; when none does, the strongest of the rest. */
export function topDrivers<D extends Driver>(drivers: readonly D[], n = 2): D[] {
  const hurting = drivers.filter((d) => d.impact < 0).sort((a, b) => a.impact - b.impact);
  return (hurting.length > 0 ? hurting : [...drivers].sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact))).slice(0, n);
}

const steps: Record<string, (d: Driver) => string> = {
  "billing.payment_failed": (d) => `Fix billing: ${d.detail}`,
  "billing.unpaid": (d) => `Fix billing: ${d.detail}`,
  "billing.past_due": (d) => `Fix billing: ${d.detail}`,
  "billing.payment_recovered": () => "Confirm the payment method on file",
  "billing.dispute": () => "Resolve the dispute with finance",
  "billing.refunds": () => "Ask why they asked for refunds",
  "billing.canceled": () => "Win-back call",
  "billing.cancel_scheduled": () => "Save call before the cancellation takes effect",
  "billing.downgrade": () => "Ask why they downgraded",
  "usage.recency": () => "Book a usage review",
  "usage.trend": () => "Book a usage review",
  "usage.breadth": () => "Book a usage review",
  "usage.seats": () => "Book a usage review",
  "usage.first_value_missed": () => "Onboarding check-in: first value not reached",
  "support.sla_breached": () => "Escalate the breached tickets",
  "support.urgent_open": () => "Escalate the urgent tickets",
  "support.open_tickets": () => "Review open tickets with support",
  "support.ticket_spike": () => "Review open tickets with support",
  "support.reopen_rate": () => "Review reopened tickets with support",
  "support.csat": () => "Follow up on poor support ratings",
  "sentiment.detractor": () => "Call back the detractor",
  "sentiment.repeat_detractor": () => "Call back the detractor",
  "sentiment.csat": () => "Follow up on the low satisfaction rating",
  "relationship.no_owner": () => "Assign an account owner",
  "relationship.contact": (d) => `Reach out: ${d.detail}`,
  "relationship.renewal_unattended": () => "Prepare the renewal",
  "relationship.single_threaded": () => "Meet more contacts at the account",
  "relationship.deal_lost": () => "Debrief the lost deal",
};

/** One short instruction, from the worst driver; with no driver hurting, the renewal if it is within 30 days. */
export function nextStep(drivers: readonly Driver[], renewalAt: number | null, now: number): string {
  const worst = drivers.filter((d) => d.impact < 0).sort((a, b) => a.impact - b.impact)[0];
  const step = worst ? steps[worst.factor] : undefined;
  if (worst && step) return step(worst);
  if (renewalAt != null && renewalAt >= now && renewalAt - now <= 30 * DAY) return "Prepare the renewal";
  return worst ? `Look into: ${worst.detail}` : "Check in";
}

/** Whole days since `at`, never negative; null without a time. */
export function daysSince(at: number | null | undefined, now: number): number | null {
  return at == null || !Number.isFinite(at) ? null : Math.max(0, Math.floor((now - at) / DAY));
}

export const renewalWindows = [30, 60, 90] as const;
export type RenewalWindow = (typeof renewalWindows)[number];

/** The first 30/60/90-day window a renewal falls in, or null when it is past or further out. */
export function renewalWindow(renewalAt: number, now: number): RenewalWindow | null {
  if (!(renewalAt >= now)) return null;
  return renewalWindows.find((days) => renewalAt - now <= days * DAY) ?? null;
}

/** A LIKE pattern matching `text` anywhere, with `\`, `%` and `_` escaped (use with ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
