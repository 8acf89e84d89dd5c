import { describe, expect, it } from "vitest";
import { scoreHealth } from "../../src/core/health";
import { defaultHealthModel } from "../../src/core/health/model";
import { defaultLifecycleConfig } from "../../src/core/lifecycle";
import { emptyState } from "../../src/core/state";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);

/** A customer whose only CRM fact is one deal, in a custom pipeline's stage. */
function withDeal(stage: string) {
  const s = emptyState();
  s.crm.deals["d1"] = { stage, at: NOW - 5 * DAY, closeDate: NOW - 5 * DAY };
  return s;
}

const factors = (stage: string, dealStages?: { won: string[]; lost: string[] }) =>
  scoreHealth(withDeal(stage), NOW, defaultHealthModel, undefined, { lifecycle: { ...defaultLifecycleConfig, ...(dealStages ? { dealStages } : {}) } }).drivers.map((d) => d.factor);

describe("relationship: deals as the team's pipelines define them", () => {
  it("a custom pipeline's won and lost stages count as won and lost, as the stage reads them", () => {
    const pipelines = { won: ["closedwon", "contract_signed"], lost: ["closedlost", "went_elsewhere"] };
    expect(factors("contract_signed", pipelines)).toContain("relationship.deal_won");
    expect(factors("went_elsewhere", pipelines)).toContain("relationship.deal_lost");
  });

  it("without the configuration, HubSpot's default pipeline: a custom stage is an open deal", () => {
    expect(factors("contract_signed")).toContain("relationship.open_deal");
    expect(factors("closedwon")).toContain("relationship.deal_won");
  });
});
