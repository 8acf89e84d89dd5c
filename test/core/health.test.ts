import { describe, expect, it } from "vitest";
import { bandFor, defaultHealthModel, healthModelSchema, scoreHealth } from "../../src/core/health";
import { defaultLifecycleConfig, lifecycleConfigSchema } from "../../src/core/lifecycle";
import { emptyState } from "../../src/core/state";
import { trend } from "../../src/core/trend";
import {
  DAY,
  NOW,
  company,
  contact,
  daysAgo,
  group,
  invoicePaid,
  paymentFailed,
  subscription,
  survey,
  ticket,
  usage,
  stateOf,
} from "./events";

const model = defaultHealthModel;
const lifecycle = lifecycleConfigSchema.parse({ coreFeatures: ["report_created", "export", "invite_sent"], firstValueEvents: ["report_created"] });

/** A paying, renewed, active customer with a happy contact and an owner. */
function healthyEvents() {
  return [
    subscription(daysAgo(400), { startedAt: daysAgo(400), currentPeriodEnd: NOW + 20 * DAY }),
    invoicePaid(daysAgo(400), { invoiceId: "in_first" }),
    invoicePaid(daysAgo(35), { invoiceId: "in_r1", reason: "renewal" }),
    group(daysAgo(30), { seats: 3 }),
    ...["u_1", "u_2", "u_3"].flatMap((u) => [usage(daysAgo(1), "report_created", u), usage(daysAgo(2), "export", u)]),
    usage(daysAgo(3), "invite_sent"),
    survey(daysAgo(20), 10),
    company(daysAgo(5), { hubspot_owner_id: "42", notes_last_contacted: String(daysAgo(5)) }),
  ];
}

describe("scoreHealth", () => {
  it("is well defined with no data: neutral 50, yellow, coverage 0, no drivers", () => {
    const h = scoreHealth(emptyState(), NOW, model);
    expect(h).toMatchObject({ score: 50, band: "yellow", coverage: 0, drivers: [], modelVersion: model.version });
    expect(Object.values(h.components).every((c) => c === null)).toBe(true);
  });

  it("scores a healthy customer green with full coverage", () => {
    const h = scoreHealth(stateOf(...healthyEvents()), NOW, model, undefined, { lifecycle });
    expect(h.stage).toBe("loyalty");
    expect(h.band).toBe("green");
    expect(h.score).toBeGreaterThan(85);
    expect(h.coverage).toBe(0.8); // no tickets: support (20 of 100) has no data
    expect(h.components.support).toBeNull();
    expect(h.drivers.map((d) => d.factor)).toContain("sentiment.promoter");
  });

  it("renormalises over the components that have data", () => {
    const s = stateOf(subscription(daysAgo(10)), invoicePaid(daysAgo(10), { invoiceId: "in_1" }));
    const h = scoreHealth(s, NOW, healthModelSchema.parse({ overrides: [] }));
    expect(h.coverage).toBe(0.3);
    expect(h.score).toBe(h.components.billing);
  });

  it("explains failed payments in words, with their impact in overall points", () => {
    const s = stateOf(
      subscription(daysAgo(60), { status: "past_due" }),
      invoicePaid(daysAgo(60), { invoiceId: "in_1" }),
      paymentFailed(daysAgo(4), { invoiceId: "in_2", attemptCount: 1 }),
      paymentFailed(daysAgo(1), { invoiceId: "in_2", attemptCount: 2 }),
    );
    const h = scoreHealth(s, NOW, model);
    const failed = h.drivers.find((d) => d.factor === "billing.payment_failed");
    expect(failed?.detail).toBe("payment failed twice, still unpaid");
    // Billing is the only component with data, so one billing point is one overall point.
    expect(failed?.impact).toBe(-30);
    expect(h.drivers.find((d) => d.factor === "billing.past_due")?.impact).toBe(-20);
    expect(h.score).toBe(85 - 30 - 20);
    expect(h.band).toBe("red");
  });

  it("names urgent tickets and how long they have been open", () => {
    const s = stateOf(
      ticket(daysAgo(6), { ticketId: "t1", status: "open", priority: "urgent" }),
      ticket(daysAgo(3), { ticketId: "t2", status: "open", priority: "urgent" }),
      ticket(daysAgo(40), { ticketId: "t3", status: "solved", csat: 100 }),
    );
    const h = scoreHealth(s, NOW, model);
    const urgent = h.drivers.find((d) => d.factor === "support.urgent_open");
    expect(urgent?.detail).toBe("2 urgent tickets open for 6 days");
    expect(urgent!.impact).toBeLessThan(0);
  });

  it("flags a renewal approaching without recent contact", () => {
    const s = stateOf(
      company(daysAgo(100), {
        hubspot_owner_id: "42",
        notes_last_contacted: new Date(daysAgo(75)).toISOString(),
        renewal_date: new Date(NOW + 21 * DAY).toISOString().slice(0, 10),
      }),
    );
    const h = scoreHealth(s, NOW, model);
    const d = h.drivers.find((x) => x.factor === "relationship.renewal_unattended");
    expect(d?.detail).toMatch(/^renewal in 2[01] days, last contact 75 days ago$/);
  });

  it("treats an owner cleared in the CRM as a gap, but an owner never synced as unknown", () => {
    const cleared = scoreHealth(stateOf(company(daysAgo(2), { hubspot_owner_id: null })), NOW, model);
    const unknown = scoreHealth(stateOf(company(daysAgo(2), { name: "Acme" })), NOW, model);
    expect(cleared.drivers.map((d) => d.detail)).toContain("no account owner assigned");
    expect(unknown.drivers.map((d) => d.factor)).not.toContain("relationship.no_owner");
    expect(cleared.score).toBeLessThan(unknown.score);
  });

  it("reads usage: seat share, recency, breadth and the 30-day trend", () => {
    const prev = Array.from({ length: 10 }, (_, i) => usage(daysAgo(35 + i), "report_created", `u_${i % 4}`));
    const s = stateOf(group(daysAgo(60), { seats: 10 }), ...prev, usage(daysAgo(20), "report_created", "u_1"));
    const h = scoreHealth(s, NOW, model, undefined, { lifecycle });
    const details = Object.fromEntries(h.drivers.map((d) => [d.factor, d.detail]));
    expect(details["usage.seats"]).toBe("1 of 10 seats active in the last 30 days");
    expect(details["usage.recency"]).toBe("no activity for 20 days");
    expect(details["usage.trend"]).toBe("active user-days down 90% on the previous 30 days");
    expect(h.drivers.every((d) => d.impact < 0)).toBe(true);
  });

  it("sorts drivers by absolute impact and keeps the top five", () => {
    const h = scoreHealth(
      stateOf(
        ...healthyEvents(),
        paymentFailed(daysAgo(1), { invoiceId: "in_x" }),
        ticket(daysAgo(2), { ticketId: "t1", status: "open", priority: "high", slaBreached: true }),
        survey(daysAgo(1), 2, "r_late", "Too slow"),
      ),
      NOW,
      model,
      undefined,
      { lifecycle },
    );
    expect(h.drivers.length).toBe(5);
    const sizes = h.drivers.map((d) => Math.abs(d.impact));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(h.drivers[0]!.detail).toBe('NPS 2 (detractor), 1 day ago: "Too slow"');
  });

  it("uses the activation weights for customers still onboarding", () => {
    const s = stateOf(invoicePaid(daysAgo(3), { invoiceId: "in_1" }), subscription(daysAgo(3)), usage(daysAgo(1), "report_created"));
    const h = scoreHealth(s, NOW, model, undefined, { lifecycle });
    expect(h.stage).toBe("onboarding");
    expect(h.overrides).toEqual(["activation"]);
    expect(h.weights.usage).toBeGreaterThan(h.weights.billing);
  });

  it("applies segment overrides only for the segments it is given", () => {
    const custom = healthModelSchema.parse({
      overrides: [{ name: "enterprise", when: { segment: ["vip"] }, weights: { relationship: 60 } }],
    });
    const s = stateOf(subscription(daysAgo(10)), invoicePaid(daysAgo(10), { invoiceId: "in_1" }));
    expect(scoreHealth(s, NOW, custom, undefined, { segments: ["vip"] }).overrides).toEqual(["enterprise"]);
    expect(scoreHealth(s, NOW, custom, undefined, { segments: [] }).overrides).toEqual([]);
  });

  it("docks a customer who missed first value during onboarding", () => {
    const s = stateOf(invoicePaid(daysAgo(3), { invoiceId: "in_1" }), subscription(daysAgo(3)));
    const h = scoreHealth(s, NOW, model, undefined, { lifecycle });
    expect(h.stage).toBe("purchase");
    expect(h.components.usage).toBe(55);
    expect(h.drivers.find((d) => d.factor === "usage.first_value_missed")?.detail).toBe("no first value yet, purchased 3 days ago");
    // Without configured first-value events Tenure cannot tell silence from a missing integration.
    expect(scoreHealth(s, NOW, model, undefined, { lifecycle: defaultLifecycleConfig }).components.usage).toBeNull();
  });

  it("notes a recent downgrade and a scheduled cancellation", () => {
    const s = stateOf(
      invoicePaid(daysAgo(100), { invoiceId: "in_1" }),
      subscription(daysAgo(12), {
        mrr: 2900,
        cancelAtPeriodEnd: true,
        currentPeriodEnd: Date.UTC(2026, 11, 1),
        change: { direction: "downgrade", previousMrr: 4900 },
      }),
    );
    const details = scoreHealth(s, NOW, model).drivers.map((d) => d.detail);
    expect(details).toContain("cancellation scheduled for 2026-12-01");
    expect(details).toContain("downgraded 12 days ago (MRR -41%)");
  });

  it("keeps contact roles out of health: a CRM role alone does not change the score", () => {
    const base = stateOf(company(daysAgo(3), { hubspot_owner_id: "1" }), contact(daysAgo(3), "c1"));
    const withRole = stateOf(company(daysAgo(3), { hubspot_owner_id: "1" }), contact(daysAgo(3), "c1", "admin"));
    expect(scoreHealth(withRole, NOW, model).score).toBe(scoreHealth(base, NOW, model).score);
  });
});

describe("bands with hysteresis", () => {
  const bands = defaultHealthModel.bands;
  it("uses the plain thresholds without a previous band: red < 50, green > 75", () => {
    expect([49, 50, 75, 76].map((s) => bandFor(s, bands))).toEqual(["red", "yellow", "yellow", "green"]);
  });
  it("needs a 3-point crossing to leave the previous band", () => {
    expect(bandFor(73, bands, "green")).toBe("green");
    expect(bandFor(72, bands, "green")).toBe("yellow");
    expect(bandFor(78, bands, "yellow")).toBe("yellow");
    expect(bandFor(79, bands, "yellow")).toBe("green");
    expect(bandFor(47, bands, "yellow")).toBe("yellow");
    expect(bandFor(46, bands, "yellow")).toBe("red");
    expect(bandFor(52, bands, "red")).toBe("red");
    expect(bandFor(53, bands, "red")).toBe("yellow");
  });
  it("applies the margin to every threshold crossed on a big move", () => {
    expect(bandFor(48, bands, "green")).toBe("yellow");
    expect(bandFor(46, bands, "green")).toBe("red");
    expect(bandFor(78, bands, "red")).toBe("yellow");
    expect(bandFor(79, bands, "red")).toBe("green");
  });
});

describe("healthModelSchema", () => {
  it("parses an empty config to the default model", () => {
    expect(healthModelSchema.parse({})).toEqual(defaultHealthModel);
    expect(defaultHealthModel.weights).toEqual({ billing: 30, support: 20, usage: 20, sentiment: 15, relationship: 15, usageTrend: 0, usageRecency: 0, ticketTrend: 0, urgentShare: 0, npsRecency: 0 });
    expect(defaultHealthModel.bands).toEqual({ red: 50, green: 75, hysteresis: 3 });
  });
  it("fills what a partial config leaves out", () => {
    const m = healthModelSchema.parse({ version: "acme-2", weights: { usage: 40 }, relationship: { renewalDateProperties: ["contract_end"] } });
    expect(m.weights).toEqual({ ...defaultHealthModel.weights, usage: 40 });
    expect(m.relationship.ownerProperty).toBe("hubspot_owner_id");
    expect(m.relationship.renewalDateProperties).toEqual(["contract_end"]);
  });
  it("rejects nonsense at the edge", () => {
    expect(healthModelSchema.safeParse({ bands: { red: 80, green: 60 } }).success).toBe(false);
    expect(healthModelSchema.safeParse({ weights: { billing: -1 } }).success).toBe(false);
    expect(healthModelSchema.safeParse({ overrides: [{ when: { stage: ["vip"] } }] }).success).toBe(false);
  });
});

describe("trend", () => {
  const history = [
    { at: daysAgo(40), score: 80 },
    { at: daysAgo(20), score: 70 },
    { at: daysAgo(6), score: 65 },
    { at: daysAgo(1), score: 55 },
  ];
  it("compares the score now with the score as of 7 and 30 days ago", () => {
    expect(trend(history, NOW)).toEqual({ d7: 55 - 70, d30: 55 - 80 });
  });
  it("is null when there is no score that far back, or none at all", () => {
    expect(trend(history.slice(1), NOW)).toEqual({ d7: -15, d30: null });
    expect(trend(history.slice(2), NOW)).toEqual({ d7: null, d30: null });
    expect(trend([], NOW)).toEqual({ d7: null, d30: null });
  });
  it("ignores points after now and does not depend on the order of the history", () => {
    const shuffled = [history[3]!, history[0]!, { at: NOW + DAY, score: 0 }, history[2]!, history[1]!];
    expect(trend(shuffled, NOW)).toEqual(trend(history, NOW));
  });
});
