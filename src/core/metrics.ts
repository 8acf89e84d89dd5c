import { toAccount, type Account } from "./metrics/accounts";
import { definitions } from "./metrics/definitions";
import { activeAccounts, loyaltyEnrollment, pointsMetrics, referralFunnel, referralRate } from "./metrics/engagement";
import { nps } from "./metrics/nps";
import { csat } from "./metrics/csat";
import { onboardingMetrics } from "./metrics/onboarding";
import { buckets, periodLabel } from "./metrics/periods";
import { healthDistribution, stageFunnel } from "./metrics/portfolio";
import { revenueMetrics } from "./metrics/revenue";
import { sampleSizes } from "./metrics/samples";
import { topTicketTopics } from "./metrics/topics";
import type { LoyaltyData, Metric, MetricsInput, Period, Window } from "./metrics/types";

/**
 * Customer-success metrics over plain rows: pure, so every number can be checked by hand. Each metric
 * carries its definition (src/core/metrics/definitions.ts).
 */

export { definitions } from "./metrics/definitions";
export { sampleOf, samples, type Sample } from "./metrics/samples";
export { windowTopics, type TopicExample } from "./metrics/topics";
export { portfolioScoreByDay, type DailyScore, type ScorePoint } from "./metrics/score-trend";
export type { LoyaltyData, Metric, MetricCustomer, MetricsInput, Period, StageTransition, Window } from "./metrics/types";

export interface MetricsQuery {
  window: Window;
  period: Period;
  /** "band", "stage", or a segment name: metrics are also computed per group. */
  segment?: string;
}

/** Metrics that are defined over a window, so they also have a value per period and per segment. */
function windowMetrics(accounts: readonly Account[], loyalty: LoyaltyData | null, input: MetricsInput, w: Window) {
  const customers = accounts.map((a) => a.customer);
  return {
    nps: nps(customers, w),
    csat: csat(customers, w),
    ...revenueMetrics(accounts, w, input.grossMargin),
    loyaltyEnrollment: loyaltyEnrollment(accounts, loyalty, w),
    activeAccounts: activeAccounts(customers, w),
    ...pointsMetrics(loyalty, w),
    referralRate: referralRate(accounts, loyalty, w),
    ...onboardingMetrics(accounts, w, input.lifecycle),
  };
}

type WindowMetrics = ReturnType<typeof windowMetrics>;
export type MetricValues = { [K in keyof WindowMetrics]: WindowMetrics[K]["value"] };

function valuesOf(m: WindowMetrics): MetricValues {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, (v as Metric).value])) as MetricValues;
}

function valuesAndSamples(m: WindowMetrics) {
  return { values: valuesOf(m), n: sampleSizes(m) };
}

export function computeMetrics(input: MetricsInput, q: MetricsQuery) {
  const accounts = input.customers.map(toAccount);
  const w = q.window;
  const metrics = {
    ...windowMetrics(accounts, input.loyalty, input, w),
    healthDistribution: healthDistribution(input.customers),
    stageFunnel: stageFunnel(input.customers, input.transitions, w.to),
    referralFunnel: referralFunnel(input.loyalty, w),
    topTicketTopics: { value: topTicketTopics(input.customers, w, q.period), unit: "breakdown", definition: definitions.topTicketTopics } satisfies Metric<unknown>,
  };
  const series = buckets(w, q.period).map((b) => ({
    period: periodLabel(b.from, q.period),
    from: b.from,
    to: b.to,
    ...valuesAndSamples(windowMetrics(accounts, input.loyalty, input, b)),
  }));
  return {
    window: { from: w.from, to: w.to, period: q.period },
    loyaltyProgram: input.loyalty ? "available" : "loyalty tables absent",
    metrics,
    series,
    segments: q.segment ? segmentBreakdown(accounts, input, q.segment, w) : null,
  };
}

export type MetricsReport = ReturnType<typeof computeMetrics>;

export function segmentKey(c: Account["customer"], by: string): string {
  if (by === "band") return c.band ?? "unscored";
  if (by === "stage") return c.stage ?? "unknown";
  return c.segments.includes(by) ? by : `not ${by}`;
}

function segmentBreakdown(accounts: readonly Account[], input: MetricsInput, by: string, w: Window) {
  const groups = new Map<string, Account[]>();
  for (const a of accounts) {
    const key = segmentKey(a.customer, by);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return {
    by,
    groups: [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([value, members]) => ({
        value,
        customers: members.length,
        values: valuesOf(windowMetrics(members, loyaltyOf(input.loyalty, members), input, w)),
      })),
  };
}

function loyaltyOf(loyalty: LoyaltyData | null, members: readonly Account[]): LoyaltyData | null {
  if (!loyalty) return null;
  const ids = new Set(members.map((a) => a.customer.id));
  return {
    enrollments: loyalty.enrollments.filter((e) => ids.has(e.customerId)),
    ledger: loyalty.ledger.filter((e) => ids.has(e.customerId)),
    referrals: loyalty.referrals.filter((r) => ids.has(r.referredId) || ids.has(r.referrerId)),
  };
}
