import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../../src/core/events";
import { defaultHealthModel, scoreHealth } from "../../src/core/health";
import { lifecycleConfigSchema, stageOf } from "../../src/core/lifecycle";
import { defaultSegmentRules, segmentRulesSchema, segments } from "../../src/core/segments";
import { DAY, NOW, contact, daysAgo, group, identify, invoicePaid, stateOf, subscription, usage } from "./events";

const lifecycle = lifecycleConfigSchema.parse({ coreFeatures: ["report_created", "export", "invite_sent"], firstValueEvents: ["report_created"] });

function segmentsOf(events: NormalizedEvent[], rules = defaultSegmentRules) {
  const state = stateOf(...events);
  const stage = stageOf(state, NOW, lifecycle);
  const score = scoreHealth(state, NOW, defaultHealthModel, undefined, { lifecycle, stage });
  return segments(state, score, stage, NOW, rules);
}

const paying = [subscription(daysAgo(200), { currentPeriodEnd: NOW + 165 * DAY }), invoicePaid(daysAgo(200), { invoiceId: "in_1" })];
const heavyUse = ["u_1", "u_2"].flatMap((u) => [
  usage(daysAgo(1), "report_created", u),
  usage(daysAgo(1), "export", u),
  usage(daysAgo(2), "invite_sent", u),
]);

describe("segments", () => {
  it("marks heavy users of the main features as power users", () => {
    expect(segmentsOf([...paying, group(daysAgo(10), { seats: 2 }), ...heavyUse])).toContain("power_user");
  });

  it("sends tips to a paying customer not using the main features", () => {
    const s = segmentsOf([...paying, usage(daysAgo(20), "login")]);
    expect(s).toContain("tips");
    expect(s).not.toContain("power_user");
  });

  it("finds admins among product users or CRM contacts", () => {
    expect(segmentsOf([...paying, identify(daysAgo(3), "u_9", "Admin")])).toContain("admin_content");
    expect(segmentsOf([...paying, contact(daysAgo(3), "c1", "owner")])).toContain("admin_content");
    expect(segmentsOf([...paying, identify(daysAgo(3), "u_9", "member")])).not.toContain("admin_content");
  });

  it("offers a renewal deal to year-one customers whose first renewal is near", () => {
    const yearOne = [subscription(daysAgo(320), { currentPeriodEnd: NOW + 45 * DAY }), invoicePaid(daysAgo(320), { invoiceId: "in_1" })];
    expect(segmentsOf(yearOne)).toContain("renewal_offer");
    expect(segmentsOf(paying)).not.toContain("renewal_offer"); // renewal 165 days away
    const renewed = [...yearOne, invoicePaid(daysAgo(20), { invoiceId: "in_2", reason: "renewal" })];
    expect(segmentsOf(renewed)).not.toContain("renewal_offer");
  });

  it("flags VIPs by MRR, with the threshold in config", () => {
    const big = [subscription(daysAgo(30), { mrr: 250_000 }), invoicePaid(daysAgo(30), { invoiceId: "in_1", amountPaid: 250_000 })];
    expect(segmentsOf(big)).toContain("vip");
    expect(segmentsOf(paying)).not.toContain("vip");
    const strict = segmentRulesSchema.parse({ vip: { minMrr: 500_000 }, tips: { enabled: false } });
    expect(segmentsOf(big, strict)).toEqual([]);
  });

  it("returns sorted, distinct labels and nothing for an unknown customer", () => {
    const s = segmentsOf([...paying, identify(daysAgo(3), "u_9", "admin"), usage(daysAgo(20), "login")]);
    expect(s).toEqual([...new Set(s)].sort());
    expect(segmentsOf([])).toEqual([]);
  });
});
