import { mrrAt, payingAt, type Account } from "./accounts";
import { definitions } from "./definitions";
import { currencyOf, MONTH_MS, percent, round, within, type Metric, type Window } from "./types";

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

function byCurrency(accounts: readonly Account[]): [string, Account[]][] {
  const out = new Map<string, Account[]>();
  for (const a of accounts) out.set(currencyOf(a.customer), [...(out.get(currencyOf(a.customer)) ?? []), a]);
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
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
  const monthlyChurn = start.length > 0 ? (churned / start.length) * (MONTH_MS / (w.to - w.from)) : 0;
  // ARPA and CLV per currency, with the portfolio's churn rate: amounts in different currencies are never added.
  const arpaBy: Record<string, number> = {};
  const clvBy: Record<string, number | null> = {};
  for (const [cur, members] of byCurrency(end)) {
    const arpa = members.reduce((s, a) => s + mrrAt(a, w.to), 0) / members.length;
    arpaBy[cur] = round(arpa, 2);
    clvBy[cur] = monthlyChurn > 0 ? Math.round((arpa * grossMargin) / monthlyChurn) : null;
  }
  const currencies = Object.keys(clvBy);
  const single = currencies.length === 1 ? currencies[0]! : null;
  const S = start.length;
  const E = end.length;
  const N = added.length;
  return {
    retention: { value: percent(E - N, S), unit: "percent", definition: definitions.retention, start: S, end: E, new: N },
    logoChurn: { value: percent(churned, S), unit: "percent", definition: definitions.logoChurn, churned, start: S },
    revenueChurn: { value: percent(lostMrr, startMrr), unit: "percent", definition: definitions.revenueChurn, lostMrr, startMrr, start: S },
    netRevenueRetention: { value: percent(keptMrr, startMrr), unit: "percent", definition: definitions.netRevenueRetention, endMrr: keptMrr, startMrr, start: S },
    customerLifetimeValue: {
      value: single === null ? null : clvBy[single]!,
      unit: "minor_units",
      definition: definitions.customerLifetimeValue,
      currency: single,
      byCurrency: clvBy,
      arpa: single === null ? null : arpaBy[single]!,
      arpaByCurrency: arpaBy,
      grossMargin,
      monthlyChurnRate: round(monthlyChurn, 4),
    },
    newCustomers: { value: N, unit: "count", definition: definitions.newCustomers },
  };
}
