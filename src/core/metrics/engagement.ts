import { CONVERTED } from "../rewards/referrals";
import { payingAt, type Account } from "./accounts";
import { definitions } from "./definitions";
import { DAY, percent, within, type LoyaltyData, type Metric, type MetricCustomer, type Window } from "./types";

/** Customers with usage on a UTC day that overlaps the window. */
export function activeAccounts(customers: readonly MetricCustomer[], w: Window): Metric {
  const active = customers.filter((c) =>
    Object.keys(c.state.usage.days).some((day) => {
      const start = Date.parse(`${day}T00:00:00Z`);
      return start < w.to && start + DAY > w.from;
    }),
  ).length;
  return { value: active, unit: "count", definition: definitions.activeAccounts };
}

export function pointsMetrics(loyalty: LoyaltyData | null, w: Window): { pointsEarned: Metric; pointsRedeemed: Metric } {
  let earned = 0;
  let redeemed = 0;
  for (const e of loyalty?.ledger ?? []) {
    if (!within(e.at, w)) continue;
    if (e.points > 0) earned += e.points;
    else redeemed -= e.points;
  }
  return {
    pointsEarned: { value: loyalty ? earned : null, unit: "points", definition: definitions.pointsEarned },
    pointsRedeemed: { value: loyalty ? redeemed : null, unit: "points", definition: definitions.pointsRedeemed },
  };
}

export function loyaltyEnrollment(accounts: readonly Account[], loyalty: LoyaltyData | null, w: Window): Metric {
  if (!loyalty) return { value: null, unit: "percent", definition: definitions.loyaltyEnrollment, reason: "loyalty tables absent" };
  const paying = accounts.filter((a) => payingAt(a, w.to));
  const enrolled = new Set(loyalty.enrollments.filter((e) => e.at < w.to).map((e) => e.customerId));
  const n = paying.filter((a) => enrolled.has(a.customer.id)).length;
  return { value: percent(n, paying.length), unit: "percent", definition: definitions.loyaltyEnrollment, enrolled: n, paying: paying.length };
}

export function referralRate(accounts: readonly Account[], loyalty: LoyaltyData | null, w: Window): Metric {
  if (!loyalty) return { value: null, unit: "percent", definition: definitions.referralRate, reason: "loyalty tables absent" };
  const added = accounts.filter((a) => a.firstPaidAt !== null && within(a.firstPaidAt, w));
  const referred = new Set(loyalty.referrals.filter((r) => r.at < w.to && r.status !== "refused").map((r) => r.referredId));
  const n = added.filter((a) => referred.has(a.customer.id)).length;
  return { value: percent(n, added.length), unit: "percent", definition: definitions.referralRate, referred: n, new: added.length };
}

/** Referrals attributed in the window -> qualified (the friend paid) -> reward paid to the referrer. */
export function referralFunnel(loyalty: LoyaltyData | null, w: Window): Metric<{ step: string; count: number }[] | null> {
  if (!loyalty) return { value: null, unit: "breakdown", definition: definitions.referralFunnel, reason: "loyalty tables absent" };
  const made = loyalty.referrals.filter((r) => within(r.at, w));
  const qualified = made.filter((r) => (CONVERTED as readonly string[]).includes(r.status));
  return {
    value: [
      { step: "attributed", count: made.length },
      { step: "qualified", count: qualified.length },
      { step: "rewarded", count: qualified.filter((r) => r.status === "paid").length },
    ],
    unit: "breakdown",
    definition: definitions.referralFunnel,
  };
}
