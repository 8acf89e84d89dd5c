import { alertRulesSchema } from "../../src/core/config";
import type { NormalizedEvent } from "../../src/core/events";
import { planActions, type PlanInput, type Snapshot } from "../../src/core/plan";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const NOW = Date.UTC(2026, 11, 1, 12);
export const rules = alertRulesSchema.parse({});

export const snap = (score: number, band: Snapshot["band"], over: Partial<Snapshot> = {}): Snapshot => ({
  score,
  band,
  stage: "renewal",
  stageSince: null,
  drivers: [],
  modelVersion: "m",
  trend: { d7: null, d30: null },
  segments: [],
  onboardingStatus: "complete",
  firstValueMissed: false,
  mrr: 10_000,
  renewalDate: null,
  ...over,
});

export const paymentFailed = (over: Partial<Extract<NormalizedEvent, { type: "payment.failed" }>> = {}): NormalizedEvent => ({
  id: "stripe:evt_1",
  source: "stripe",
  type: "payment.failed",
  occurredAt: NOW - HOUR,
  subject: {},
  invoiceId: "in_1",
  attemptCount: 1,
  nextAttemptAt: null,
  amountDue: 100,
  currency: "usd",
  ...over,
});

export const cancelScheduled = (over: Partial<Extract<NormalizedEvent, { type: "subscription.changed" }>> = {}): NormalizedEvent => ({
  id: "stripe:evt_2",
  source: "stripe",
  type: "subscription.changed",
  occurredAt: NOW - HOUR,
  subject: {},
  subscriptionId: "sub_1",
  status: "active",
  mrr: 10_000,
  currency: "usd",
  cancelAtPeriodEnd: true,
  cancellation: { feedback: "too_expensive" },
  ...over,
});

export function plan(over: Partial<PlanInput>) {
  return planActions({
    customerId: "cu_1",
    name: "Acme <!channel>",
    before: snap(80, "green"),
    after: snap(40, "red"),
    events: [],
    history: [],
    alerts: {},
    causeAt: NOW,
    now: NOW,
    rules,
    ...over,
  });
}

type PostedAlert = { rule: string; summary: string; previousScore: number | null };
export const alerts = (r: ReturnType<typeof plan>): PostedAlert[] =>
  r.actions.filter((a) => a.payload.type === "slack.alert").map((a) => a.payload as PostedAlert);
export const recoveries = (r: ReturnType<typeof plan>) => r.actions.filter((a) => a.payload.type === "slack.recovery");
