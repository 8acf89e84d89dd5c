import { defaultLifecycleConfig } from "../../src/core/lifecycle";
import type { LoyaltyData, MetricCustomer, MetricsInput, StageTransition } from "../../src/core/metrics";
import { emptyState, type CustomerState, type SubscriptionFact } from "../../src/core/state";
import { addToSketch } from "../../src/core/sketch";
const sketchOf = (...ids: string[]) => ids.reduce((s, id) => addToSketch(s, id), addToSketch(undefined, ids[0]!));

/**
 * A small portfolio whose metrics are worked out by hand in the tests. Window: October 2026 (31 days).
 *
 *   A  paying since Aug, MRR 10000, promoter (10) in Oct, used the product on Oct 10, band green, loyalty
 *   B  paying since Jul, downgraded 8000 -> 5000 on Oct 15, detractor (6) in Oct, (9) in Sep, yellow, renewal
 *   C  paying since Jun at 20000/month, canceled Oct 20, passive (8) in Oct, red, churned
 *   D  new: first paid Oct 10 (3000), first value 2 h later, two features -> onboarded, green, onboarding
 *   E  new: first paid Oct 20 (4000), no usage, yellow, purchase
 *   F  never paid, promoter (10) in Oct, unscored, awareness
 *   G  paying from May, canceled Sep 15 (before the window), red, churned
 */

export const at = (iso: string) => Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
export const OCTOBER = { from: at("2026-10-01"), to: at("2026-11-01") };
const HOUR = 3_600_000;

function sub(fact: Partial<SubscriptionFact> & { mrr: number }): SubscriptionFact {
  return { status: "active", currency: "usd", cancelAtPeriodEnd: false, at: fact.startedAt ?? 0, by: "ev", ...fact };
}

function invoice(s: CustomerState, id: string, paidAt: number, amountPaid: number, subscriptionId: string) {
  s.billing.invoices[id] = { reason: "other", amountPaid, currency: "usd", paidAt, subscriptionId };
}

function customer(id: string, band: string | null, stage: string, mrr: number, build: (s: CustomerState) => void): MetricCustomer {
  const state = emptyState();
  build(state);
  return { id, name: `Customer ${id}`, band, stage, mrr, currency: "usd", segments: band === "green" ? ["vip"] : [], state };
}

export function portfolio(): MetricCustomer[] {
  return [
    customer("A", "green", "loyalty", 10000, (s) => {
      invoice(s, "a1", at("2026-08-01"), 10000, "sA");
      s.billing.subscriptions.sA = sub({ mrr: 10000, startedAt: at("2026-08-01") });
      s.sentiment.responses.r1 = { score: 10, at: at("2026-10-05"), by: "ev" };
      s.usage.days["2026-10-10"] = { u: { h: [] }, f: ["login"] };
      s.support.tickets["zendesk:1"] = { desk: "zendesk", statusLog: {}, slaBreached: false, openedAt: at("2026-10-03"), tags: ["billing", "invoice"], subject: "Invoice PDF missing" };
    }),
    customer("B", "yellow", "renewal", 5000, (s) => {
      invoice(s, "b1", at("2026-07-01"), 8000, "sB");
      s.billing.subscriptions.sB = sub({ mrr: 5000, startedAt: at("2026-07-01"), lastChange: { direction: "downgrade", previousMrr: 8000, at: at("2026-10-15") } });
      s.sentiment.responses.r2 = { score: 6, at: at("2026-10-20"), by: "ev" };
      s.sentiment.responses.r3 = { score: 9, at: at("2026-09-15"), by: "ev" };
      s.support.tickets["intercom:2"] = { desk: "intercom", statusLog: {}, slaBreached: false, openedAt: at("2026-10-21"), tags: ["Billing"], subject: "Billing address change" };
    }),
    customer("C", "red", "churned", 0, (s) => {
      invoice(s, "c1", at("2026-06-01"), 20000, "sC");
      invoice(s, "c4", at("2026-09-20"), 20000, "sC");
      s.billing.subscriptions.sC = sub({ status: "canceled", mrr: 0, startedAt: at("2026-06-01"), endedAt: at("2026-10-20"), currentPeriodEnd: at("2026-10-20") });
      s.sentiment.responses.r4 = { score: 8, at: at("2026-10-02"), by: "ev" };
      s.support.tickets["zendesk:3"] = { desk: "zendesk", statusLog: {}, slaBreached: false, openedAt: at("2026-09-20"), tags: ["billing"], subject: "Old" };
    }),
    customer("D", "green", "onboarding", 3000, (s) => {
      invoice(s, "d1", at("2026-10-10"), 3000, "sD");
      s.billing.subscriptions.sD = sub({ mrr: 3000, startedAt: at("2026-10-10") });
      s.usage.events.login = { firstAt: at("2026-10-10") + 2 * HOUR, lastAt: at("2026-10-11") };
      s.usage.events.report = { firstAt: at("2026-10-11"), lastAt: at("2026-10-11") };
      s.usage.days["2026-10-10"] = { u: sketchOf("u1"), f: ["login"] };
      s.usage.days["2026-10-11"] = { u: sketchOf("u1"), f: ["login", "report"] };
      // No openedAt: the opening time falls back to the first status change.
      s.support.tickets["freshdesk:4"] = { desk: "freshdesk", statusLog: { x: { at: at("2026-10-12"), status: "open" } }, slaBreached: false, tags: [], subject: "How to export reports" };
    }),
    customer("E", "yellow", "purchase", 4000, (s) => {
      invoice(s, "e1", at("2026-10-20"), 4000, "sE");
      s.billing.subscriptions.sE = sub({ mrr: 4000, startedAt: at("2026-10-20") });
    }),
    customer("F", null, "awareness", 0, (s) => {
      s.sentiment.responses.r5 = { score: 10, at: at("2026-10-03"), by: "ev" };
    }),
    customer("G", "red", "churned", 0, (s) => {
      invoice(s, "g1", at("2026-05-01"), 7000, "sG");
      s.billing.subscriptions.sG = sub({ status: "canceled", mrr: 0, startedAt: at("2026-05-01"), endedAt: at("2026-09-15") });
    }),
  ];
}

export const transitions: StageTransition[] = [
  { customerId: "F", at: at("2026-09-01"), from: null, to: "awareness" },
  { customerId: "E", at: at("2026-10-18"), from: null, to: "conversion" },
  { customerId: "E", at: at("2026-10-20"), from: "conversion", to: "purchase" },
  { customerId: "D", at: at("2026-10-10"), from: null, to: "purchase" },
  { customerId: "D", at: at("2026-10-10") + 2 * HOUR, from: "purchase", to: "onboarding" },
  { customerId: "C", at: at("2026-07-01"), from: null, to: "renewal" },
  { customerId: "C", at: at("2026-10-20"), from: "renewal", to: "churned" },
  { customerId: "G", at: at("2026-06-01"), from: null, to: "loyalty" },
  { customerId: "G", at: at("2026-09-15"), from: "loyalty", to: "churned" },
  { customerId: "A", at: at("2026-09-01"), from: null, to: "loyalty" },
  { customerId: "B", at: at("2026-08-01"), from: null, to: "loyalty" },
  { customerId: "B", at: at("2026-10-15"), from: "loyalty", to: "renewal" },
];

export const loyalty: LoyaltyData = {
  enrollments: [
    { customerId: "A", at: at("2026-09-01") },
    { customerId: "D", at: at("2026-10-15") },
    { customerId: "G", at: at("2026-06-01") },
  ],
  ledger: [
    { customerId: "A", points: 100, at: at("2026-10-05") },
    { customerId: "A", points: -40, at: at("2026-10-20") },
    { customerId: "D", points: 50, at: at("2026-10-15") },
    { customerId: "B", points: 30, at: at("2026-09-10") },
  ],
  referrals: [
    { referrerId: "A", referredId: "D", at: at("2026-10-05"), status: "held" },
    { referrerId: "B", referredId: "F", at: at("2026-10-07"), status: "attributed" },
    { referrerId: "A", referredId: "E", at: at("2026-10-21"), status: "refused" },
    { referrerId: "B", referredId: "G", at: at("2026-05-02"), status: "paid" },
  ],
};

export function input(withLoyalty: boolean): MetricsInput {
  return { customers: portfolio(), transitions, loyalty: withLoyalty ? loyalty : null, lifecycle: defaultLifecycleConfig, grossMargin: 0.8 };
}
