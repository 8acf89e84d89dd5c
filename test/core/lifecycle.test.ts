import { describe, expect, it } from "vitest";
import { lifecycleConfigSchema, stageOf } from "../../src/core/lifecycle";
import type { NormalizedEvent } from "../../src/core/events";
import { emptyState } from "../../src/core/state";
import { DAY, HOUR, NOW, checkout, company, daysAgo, deal, invoicePaid, stateOf, subscription, usage } from "./events";

const cfg = lifecycleConfigSchema.parse({
  coreFeatures: ["report_created", "export", "invite_sent"],
  coreFeatureThreshold: 2,
  firstValueEvents: ["report_created"],
});
const stage = (...events: NormalizedEvent[]) => stageOf(stateOf(...events), NOW, cfg);

// A customer's history, told in order; each step adds facts to the ones before.
const known = company(daysAgo(400), { name: "Acme" });
const trial = subscription(daysAgo(380), { status: "trialing", trialStart: daysAgo(380), trialEnd: daysAgo(366), mrr: 0 });
const paid = [subscription(daysAgo(365), { status: "active", startedAt: daysAgo(380) }), invoicePaid(daysAgo(365), { invoiceId: "in_1" })];
const firstLogin = usage(daysAgo(365) + 2 * HOUR, "login");
const firstValue = usage(daysAgo(365) + 5 * HOUR, "report_created");
const secondFeature = usage(daysAgo(364), "export");
const renewed = invoicePaid(daysAgo(5), { invoiceId: "in_2", reason: "renewal" });
const recentUse = [usage(daysAgo(3), "report_created"), usage(daysAgo(2), "invite_sent")];

describe("stageOf: the customer journey", () => {
  it("starts in awareness with nothing known, and stays there when only the CRM knows the company", () => {
    expect(stageOf(emptyState(), NOW, cfg)).toMatchObject({ stage: "awareness", since: null });
    expect(stage(known)).toMatchObject({ stage: "awareness", since: daysAgo(400) });
    expect(stage(known, deal(daysAgo(390), { status: "lost" }))).toMatchObject({ stage: "awareness" });
  });

  it("moves to conversion on a trial, an open deal, a checkout or a signup", () => {
    expect(stage(known, trial)).toMatchObject({ stage: "conversion", since: daysAgo(380) });
    expect(stage(known, deal(daysAgo(390), { status: "open" }))).toMatchObject({ stage: "conversion", since: daysAgo(390) });
    expect(stage(checkout(daysAgo(10)))).toMatchObject({ stage: "conversion", since: daysAgo(10) });
    expect(stage(usage(daysAgo(7), "login"))).toMatchObject({ stage: "conversion", since: daysAgo(7) });
  });

  it("does not count a zero-amount invoice as a purchase", () => {
    expect(stage(known, trial, invoicePaid(daysAgo(380), { invoiceId: "in_0", amountPaid: 0 })).stage).toBe("conversion");
  });

  it("reaches purchase with the first paid invoice, then onboarding with the first product use", () => {
    expect(stage(known, trial, ...paid)).toMatchObject({ stage: "purchase", since: daysAgo(365) });
    expect(stage(known, trial, ...paid, firstLogin)).toMatchObject({ stage: "onboarding", since: daysAgo(365) + 2 * HOUR });
  });

  it("stays onboarding after first value until enough core features are adopted", () => {
    const r = stage(known, trial, ...paid, firstLogin, firstValue);
    expect(r.stage).toBe("onboarding");
    expect(r.onboarding).toMatchObject({ firstValueAt: daysAgo(365) + 5 * HOUR, timeToFirstValueMs: 5 * HOUR, firstValueMissed: false });
    expect(r.onboarding.onboardingComplete).toBe(false);
  });

  it("moves to renewal once onboarded: used the main features but not yet renewed is not loyalty", () => {
    const r = stage(known, trial, ...paid, firstLogin, firstValue, secondFeature, ...recentUse);
    expect(r).toMatchObject({ stage: "renewal", since: daysAgo(364), usesMainFeatures: true, renewals: 0 });
    expect(r.onboarding).toMatchObject({ onboardingComplete: true, onboardedAt: daysAgo(364) });
  });

  it("reaches loyalty only when renewed and currently using the main features", () => {
    const r = stage(known, trial, ...paid, firstLogin, firstValue, secondFeature, renewed, ...recentUse);
    expect(r).toMatchObject({ stage: "loyalty", since: daysAgo(5), renewals: 1 });
    expect(r.recentCoreFeatures).toEqual(["invite_sent", "report_created"]);
  });

  it("keeps a renewed customer who never used the main features in renewal", () => {
    const r = stage(known, ...paid, firstLogin, renewed);
    expect(r).toMatchObject({ stage: "renewal", since: daysAgo(5), usesMainFeatures: false });
    expect(r.onboarding.onboardingComplete).toBe(false);
  });

  it("keeps renewal since onboarding when use had already lapsed before the renewal", () => {
    const r = stage(known, ...paid, firstLogin, firstValue, secondFeature, renewed);
    expect(r).toMatchObject({ stage: "renewal", since: daysAgo(364), usesMainFeatures: false });
  });

  it("drops a loyal customer back to renewal when main-feature use lapses, from the day it lapsed", () => {
    const earlyRenewal = invoicePaid(daysAgo(100), { invoiceId: "in_2", reason: "renewal" });
    const lastUses = [usage(daysAgo(50), "report_created"), usage(daysAgo(45), "export")];
    expect(stageOf(stateOf(...paid, firstValue, secondFeature, earlyRenewal, ...lastUses), daysAgo(40), cfg).stage).toBe("loyalty");
    // Loyal until the second most recent core use left the 30-day window.
    expect(stage(...paid, firstValue, secondFeature, earlyRenewal, ...lastUses)).toMatchObject({ stage: "renewal", since: daysAgo(20) });
  });

  it("is churned once every subscription has ended, from when the last one ended", () => {
    const canceled = subscription(daysAgo(2), { status: "canceled", canceledAt: daysAgo(3), endedAt: daysAgo(2) });
    expect(stage(known, ...paid, firstValue, secondFeature, renewed, canceled)).toMatchObject({ stage: "churned", since: daysAgo(2) });
    const other = subscription(daysAgo(20), { subscriptionId: "sub_2", status: "active" });
    expect(stage(known, ...paid, other, canceled).stage).not.toBe("churned");
  });

  it("treats a canceled trial as churned too, and a never-started subscription as nothing", () => {
    expect(stage(trial, subscription(daysAgo(366), { status: "canceled", endedAt: daysAgo(366) })).stage).toBe("churned");
    expect(stage(subscription(daysAgo(3), { status: "incomplete_expired" })).stage).toBe("conversion");
  });
});

describe("first-value rule", () => {
  const bought = NOW - 30 * HOUR;
  const purchase = [invoicePaid(bought, { invoiceId: "in_1" }), subscription(bought)];
  it("is missed when no first-value event came within firstValueHours of the purchase", () => {
    expect(stage(...purchase).onboarding).toMatchObject({
      status: "first_value_missed",
      firstValueMissed: true,
      firstValueAt: null,
      firstValueDueAt: bought + 24 * HOUR,
    });
  });
  it("is not missed before the deadline, nor when value came in time or during the trial", () => {
    expect(stageOf(stateOf(...purchase), bought + 20 * HOUR, cfg).onboarding).toMatchObject({ firstValueMissed: false, status: "not_started" });
    const inTime = stage(...purchase, usage(bought + 23 * HOUR, "report_created")).onboarding;
    expect(inTime).toMatchObject({ firstValueMissed: false, status: "in_progress" });
    const trialValue = stage(...purchase, usage(bought - 3 * DAY, "report_created")).onboarding;
    expect(trialValue).toMatchObject({ firstValueMissed: false, timeToFirstValueMs: 0 });
  });
  it("stays missed when value came late, and reports how late", () => {
    const r = stage(...purchase, usage(bought + 29 * HOUR, "report_created")).onboarding;
    expect(r).toMatchObject({ firstValueMissed: true, timeToFirstValueMs: 29 * HOUR });
  });
  it("uses any usage event as first value, and distinct events as adoption, when nothing is configured", () => {
    const open = lifecycleConfigSchema.parse({});
    const r = stageOf(stateOf(...purchase, usage(bought + HOUR, "login"), usage(bought + 2 * HOUR, "search")), NOW, open);
    expect(r.onboarding).toMatchObject({
      status: "complete",
      firstValueAt: bought + HOUR,
      onboardingComplete: true,
      coreFeaturesAdopted: ["login", "search"],
    });
    expect(r.stage).toBe("renewal");
  });
});
