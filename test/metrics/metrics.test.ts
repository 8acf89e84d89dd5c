import { describe, expect, it } from "vitest";
import { computeMetrics, definitions } from "../../src/core/metrics";
import { OCTOBER, at, input } from "./dataset";

const report = (withLoyalty: boolean, segment?: string) => computeMetrics(input(withLoyalty), { window: OCTOBER, period: "month", ...(segment ? { segment } : {}) });

describe("metrics over the October portfolio (see dataset.ts)", () => {
  const m = report(false).metrics;

  it("NPS counts responses received in the window", () => {
    // In October: A 10 (promoter), B 6 (detractor), C 8 (passive), F 10 (promoter); B's 9 is from September.
    // (2 promoters − 1 detractor) / 4 responses × 100 = 25
    expect(m.nps).toMatchObject({ value: 25, responses: 4, promoters: 2, passives: 1, detractors: 1 });
  });

  it("retention is (E − N) / S", () => {
    // S (paying on Oct 1) = A, B, C = 3; E (paying on Nov 1) = A, B, D, E = 4; N (first paid in Oct) = D, E = 2.
    // (4 − 2) / 3 × 100 = 66.67 -> 66.7
    expect(m.retention).toMatchObject({ value: 66.7, start: 3, end: 4, new: 2 });
    expect(m.newCustomers.value).toBe(2);
  });

  it("logo churn counts customers of S whose subscriptions all ended in the window", () => {
    // C ended Oct 20; G ended Sep 15 so it is not in S. 1 / 3 × 100 = 33.3
    expect(m.logoChurn).toMatchObject({ value: 33.3, churned: 1, start: 3 });
  });

  it("revenue churn and NRR compare S's MRR at the start and the end", () => {
    // Start: A 10000 + B 8000 (before its Oct 15 downgrade) + C 20000 (its last invoice, Sep 20, covered one month) = 38000.
    // End:   A 10000 + B 5000 + C 0 = 15000. Lost: B 3000 + C 20000 = 23000.
    // Revenue churn 23000 / 38000 × 100 = 60.53 -> 60.5; NRR 15000 / 38000 × 100 = 39.47 -> 39.5
    expect(m.revenueChurn).toMatchObject({ value: 60.5, lostMrr: 23000, startMrr: 38000 });
    expect(m.netRevenueRetention).toMatchObject({ value: 39.5, endMrr: 15000, startMrr: 38000 });
  });

  it("CLV is ARPA × margin ÷ monthly churn", () => {
    // ARPA = (A 10000 + B 5000 + D 3000 + E 4000) / 4 = 5500.
    // Monthly churn = 1/3 × 30 days / 31 days = 0.32258. CLV = 5500 × 0.8 / (10/31) = 4400 × 3.1 = 13640
    expect(m.customerLifetimeValue).toMatchObject({ value: 13640, arpa: 5500, grossMargin: 0.8, monthlyChurnRate: 0.3226 });
  });

  it("active accounts are customers with usage on a day in the window", () => {
    // A used the product on Oct 10, D on Oct 10 and 11; nobody else has usage days.
    expect(m.activeAccounts.value).toBe(2);
  });

  it("onboarding: completion and median time to first value of the customers who first paid in the window", () => {
    // Cohort D, E. D: first value 2 h after paying, two features used -> onboarded. E: nothing. 1 / 2 = 50 %; median of [2 h] = 2
    expect(m.onboardingCompletion).toMatchObject({ value: 50, completed: 1, cohort: 2 });
    expect(m.timeToFirstValue).toMatchObject({ value: 2, unit: "hours", customers: 1 });
  });

  it("loyalty metrics are null, with the reason, without loyalty tables", () => {
    expect(m.loyaltyEnrollment).toMatchObject({ value: null, reason: "loyalty tables absent" });
    expect(m.referralRate.value).toBeNull();
    expect(m.pointsEarned.value).toBeNull();
    expect(m.pointsRedeemed.value).toBeNull();
    expect(m.referralFunnel.value).toBeNull();
    expect(report(false).loyaltyProgram).toBe("loyalty tables absent");
  });

  it("health distribution counts customers and sums current MRR per band and currency", () => {
    // green A 10000 + D 3000; yellow B 5000 + E 4000; red C 0 + G 0; unscored F.
    expect(m.healthDistribution.value).toEqual({
      green: { customers: 2, mrr: { usd: 13000 } },
      yellow: { customers: 2, mrr: { usd: 9000 } },
      red: { customers: 2, mrr: {} },
      unscored: { customers: 1, mrr: {} },
    });
  });

  it("never adds amounts in different currencies: MRR per band and CLV are per currency", () => {
    const i = input(false);
    i.customers.find((c) => c.id === "D")!.currency = "eur";
    const r = computeMetrics(i, { window: OCTOBER, period: "month" }).metrics;
    expect(r.healthDistribution.value.green.mrr).toEqual({ eur: 3000, usd: 10000 });
    // Paying at the end: A 10000, B 5000, E 4000 in USD (ARPA 6333.33); D 3000 in EUR. Monthly churn 1/3 × 30/31.
    // USD 6333.33 × 0.8 ÷ 0.32258 = 15707; EUR 3000 × 0.8 ÷ 0.32258 = 7440.
    expect(r.customerLifetimeValue).toMatchObject({ value: null, currency: null, byCurrency: { usd: 15707, eur: 7440 }, arpaByCurrency: { usd: 6333.33, eur: 3000 } });
  });

  it("stage funnel: current counts and conversion between the furthest stages reached", () => {
    // Furthest stage reached (awareness 0 … loyalty 5): A 5, B 5 (loyalty before renewal), C 4, D 3, E 2, F 0, G 5.
    // Reached ≥ stage: awareness 7, conversion 6, purchase 6, onboarding 5, renewal 4, loyalty 3.
    // Conversion: 6/7 = 85.7, 6/6 = 100, 5/6 = 83.3, 4/5 = 80, 3/4 = 75.
    const steps = m.stageFunnel.value;
    expect(steps.map((s) => [s.stage, s.current, s.reached, s.conversion])).toEqual([
      ["awareness", 1, 7, null],
      ["conversion", 0, 6, 85.7],
      ["purchase", 1, 6, 100],
      ["onboarding", 1, 5, 83.3],
      ["renewal", 1, 4, 80],
      ["loyalty", 1, 3, 75],
      ["churned", 2, 2, null],
    ]);
  });

  it("top ticket topics: phrases from subjects and tags that repeat across tickets and desks, with examples", () => {
    // October tickets: A "Invoice PDF missing" [billing, invoice], B "Billing address change" [Billing],
    // D "How to export reports". C's ticket is from September. Only "billing" is in two tickets (A's tag, B's tag
    // and subject); a phrase seen once is not a topic.
    const [october] = m.topTicketTopics.value;
    expect(october!.period).toBe("2026-10");
    expect(october!.tickets).toBe(3);
    expect(october!.topics.map((t) => [t.topic, t.tickets])).toEqual([["billing", 2]]);
    // Newest first: B's ticket (Oct 21) before A's (Oct 3).
    expect(october!.topics[0]!.examples).toEqual([
      { customerId: "B", ticket: "intercom:2", subject: "Billing address change" },
      { customerId: "A", ticket: "zendesk:1", subject: "Invoice PDF missing" },
    ]);
  });

  it("every metric states its definition", () => {
    for (const [name, metric] of Object.entries(m)) {
      expect(metric.definition, name).toBe(definitions[name as keyof typeof definitions]);
    }
  });
});

describe("metrics with loyalty tables", () => {
  const m = report(true).metrics;

  it("enrollment: enrolled ÷ paying at the end", () => {
    // Paying on Nov 1: A, B, D, E. Enrolled among them: A (Sep 1), D (Oct 15); G is not paying. 2 / 4 = 50
    expect(m.loyaltyEnrollment).toMatchObject({ value: 50, enrolled: 2, paying: 4 });
  });

  it("points earned and redeemed in the window", () => {
    // Earned: A 100 + D 50 = 150 (B's 30 is from September). Redeemed: A 40.
    expect(m.pointsEarned.value).toBe(150);
    expect(m.pointsRedeemed.value).toBe(40);
  });

  it("referral rate: new customers brought in by a referral ÷ new customers", () => {
    // New: D, E. Referred and not refused: D (by A), F (by B; F never paid), G (May). E's referral was refused. 1 / 2 = 50
    expect(m.referralRate).toMatchObject({ value: 50, referred: 1, new: 2 });
  });

  it("referral funnel: attributed -> qualified -> rewarded", () => {
    // October: D (held: qualified, reward not paid yet), F (attributed), E (refused); G's paid one is from May.
    expect(m.referralFunnel.value).toEqual([
      { step: "attributed", count: 3 },
      { step: "qualified", count: 1 },
      { step: "rewarded", count: 0 },
    ]);
  });
});

describe("series and segments", () => {
  it("one series point per period, with the same values as the whole window when they coincide", () => {
    const r = report(false);
    expect(r.series).toHaveLength(1);
    expect(r.series[0]).toMatchObject({ period: "2026-10", from: OCTOBER.from, to: OCTOBER.to });
    expect(r.series[0]!.values).toMatchObject({ nps: 25, retention: 66.7, logoChurn: 33.3, revenueChurn: 60.5, netRevenueRetention: 39.5 });
  });

  it("weekly series: NPS per ISO week", () => {
    const r = computeMetrics(input(false), { window: { from: at("2026-10-01"), to: at("2026-10-15") }, period: "week" });
    // Weeks (Monday): Sep 28 (clipped to Oct 1–5): C 8 (Oct 2), F 10 (Oct 3) -> (1 − 0) / 2 = 50;
    // Oct 5–12: A 10 (Oct 5) -> 1 / 1 = 100; Oct 12–15: none -> null.
    expect(r.series.map((p) => [p.period, p.values.nps])).toEqual([["2026-09-28", 50], ["2026-10-05", 100], ["2026-10-12", null]]);
  });

  it("segment=band computes each band's metrics on its own customers", () => {
    const groups = report(true, "band").segments!.groups;
    expect(groups.map((g) => [g.value, g.customers])).toEqual([["green", 2], ["red", 2], ["unscored", 1], ["yellow", 2]]);
    const green = groups.find((g) => g.value === "green")!.values;
    // Green = A, D. S = {A}, E = {A, D}, N = {D}: (2 − 1) / 1 = 100. NPS: A's 10 alone = 100. Enrolled: A, D of A, D = 100.
    expect(green).toMatchObject({ retention: 100, logoChurn: 0, nps: 100, loyaltyEnrollment: 100, referralRate: 100 });
    const red = groups.find((g) => g.value === "red")!.values;
    // Red = C, G. S = {C}, E = {}, N = {}: (0 − 0) / 1 = 0; churn 1 / 1 = 100; NRR 0 / 20000 = 0.
    expect(red).toMatchObject({ retention: 0, logoChurn: 100, netRevenueRetention: 0, customerLifetimeValue: null });
  });

  it("segment=<name> splits members from the rest", () => {
    const groups = report(false, "vip").segments!.groups;
    expect(groups.map((g) => [g.value, g.customers])).toEqual([["not vip", 5], ["vip", 2]]);
  });
});
