import type { LifecycleConfig } from "../lifecycle";
import { onboardingStatus } from "../onboarding";
import type { Account } from "./accounts";
import { definitions } from "./definitions";
import { median, percent, round, within, type Metric, type Window } from "./types";

const HOUR = 3_600_000;

/** Customers who first paid in the window: how many finished onboarding, and how fast value came. */
export function onboardingMetrics(
  accounts: readonly Account[],
  w: Window,
  lifecycle: LifecycleConfig,
): { onboardingCompletion: Metric; timeToFirstValue: Metric } {
  const cohort = accounts.filter((a) => a.firstPaidAt !== null && within(a.firstPaidAt, w));
  let completed = 0;
  const hours: number[] = [];
  for (const a of cohort) {
    const s = onboardingStatus(a.customer.state, w.to, lifecycle);
    if (s.onboardedAt !== null) completed++;
    if (s.timeToFirstValueMs !== null) hours.push(s.timeToFirstValueMs / HOUR);
  }
  const mid = median(hours);
  return {
    onboardingCompletion: { value: percent(completed, cohort.length), unit: "percent", definition: definitions.onboardingCompletion, completed, cohort: cohort.length },
    timeToFirstValue: { value: mid === null ? null : round(mid), unit: "hours", definition: definitions.timeToFirstValue, customers: hours.length },
  };
}
