import { mrrAt, payingAt, type Account } from "./accounts";
import { definitions } from "./definitions";
import { MONTH_MS, percent, round, within, type Metric, type Window } from "./types";

export interface RevenueMetrics {
  retention: Metric;
  logoChurn: Metric;
  revenueChurn: Metric;
  netRevenueRetention: Metric;
  customerLifetimeValue: Metric;
  newCustomers: Metric;
}

/** Paying customers at the start (S) and end (E) of the window, and the new ones (N). */
export function cohorts(accounts: readonly Account[], w: Window) {
  const start = accounts.filter((a) => payingAt(a, w.from));
  const end = accounts.filter((a) => payingAt(a, w.to));
  const added = accounts.filter((a) => a.firstPaidAt !== null && within(a.firstPaidAt, w));
  return { start, end, added };
}

export function revenueMetrics(accounts: readonly Account[], w: Window, grossMargin: number): RevenueMetrics {
  const { start, end, added } = cohorts(accounts, w);
  const churned = start.filter((a) => a.churnedAt !== null && a.churnedAt < w.to).length;
  let startMrr = 0;
  let keptMrr = 0;
  let lostMrr = 0;
  for (const a of start) {
    const before = mrrAt(a, w.from);
    const after = mrrAt(a, w.to);
    startMrr += before;
    keptMrr += after;
    lostMrr += Math.max(0, before - after);
  }
  const endMrr = end.reduce((s, a) => s + mrrAt(a, w.to), 0);
  const arpa = end.length > 0 ? endMrr / end.length : null;
  const monthlyChurn = start.length > 0 ? (churned / start.length) * (MONTH_MS / (w.to - w.from)) : 0;
  const clv = arpa !== null && monthlyChurn > 0 ? Math.round((arpa * grossMargin) / monthlyChurn) : null;
  const S = start.length;
  const E = end.length;
  const N = added.length;
  return {
    retention: { value: percent(E - N, S), unit: "percent", definition: definitions.retention, start: S, end: E, new: N },
    logoChurn: { value: percent(churned, S), unit: "percent", definition: definitions.logoChurn, churned, start: S },
    revenueChurn: { value: percent(lostMrr, startMrr), unit: "percent", definition: definitions.revenueChurn, lostMrr, startMrr },
    netRevenueRetention: { value: percent(keptMrr, startMrr), unit: "percent", definition: definitions.netRevenueRetention, endMrr: keptMrr, startMrr },
    customerLifetimeValue: {
      value: clv,
      unit: "minor_units",
      definition: definitions.customerLifetimeValue,
      arpa: arpa === null ? null : round(arpa, 2),
      grossMargin,
      monthlyChurnRate: round(monthlyChurn, 4),
    },
    newCustomers: { value: N, unit: "count", definition: definitions.newCustomers },
  };
}
