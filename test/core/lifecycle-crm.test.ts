import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../../src/core/events";
import { dealStatus, lifecycleConfigSchema, stageOf, stages, type LifecycleConfig } from "../../src/core/lifecycle";
import { applyEvents } from "../../src/core/reduce";
import { emptyState } from "../../src/core/state";
import { arbEventLog, arbNow } from "./arbitraries";
import { DAY, HOUR, NOW, company, daysAgo, deal, invoicePaid, stateOf, subscription, usage } from "./events";

const cfg = lifecycleConfigSchema.parse({ coreFeatures: ["report_created", "export"], coreFeatureThreshold: 2, firstValueEvents: ["report_created"] });
const custom: LifecycleConfig = { ...cfg, dealStages: { won: ["contractsigned", "closedwon"], lost: ["walkedaway"] } };
const stage = (c: LifecycleConfig, ...events: NormalizedEvent[]) => stageOf(stateOf(...events), NOW, c);
const order = (s: string) => stages.indexOf(s as (typeof stages)[number]);

describe("HubSpot's lifecycle stage moves awareness and conversion", () => {
  it("a company marked customer in HubSpot is at least purchase, and onboarding once it uses the product", () => {
    expect(stage(cfg, company(daysAgo(40), { name: "Acme" }))).toMatchObject({ stage: "awareness" });
    expect(stage(cfg, company(daysAgo(40), { lifecyclestage: "customer" }))).toMatchObject({ stage: "purchase", since: daysAgo(40) });
    expect(stage(cfg, company(daysAgo(40), { lifecyclestage: "evangelist" }))).toMatchObject({ stage: "purchase" });
    expect(stage(cfg, company(daysAgo(40), { lifecyclestage: "customer" }), usage(daysAgo(30), "login"))).toMatchObject({ stage: "onboarding", since: daysAgo(30) });
  });

  it("leads, qualified leads and opportunities are converting; subscribers stay aware", () => {
    for (const v of ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"]) {
      expect(stage(cfg, company(daysAgo(9), { lifecyclestage: v }))).toMatchObject({ stage: "conversion", since: daysAgo(9) });
    }
    expect(stage(cfg, company(daysAgo(9), { lifecyclestage: "subscriber" })).stage).toBe("awareness");
    // A stage cleared is no stage.
    expect(stage(cfg, company(daysAgo(9), { lifecyclestage: "customer" }), company(daysAgo(2), { lifecyclestage: null })).stage).toBe("awareness");
  });

  it("billing decides when it knows: a paying customer's purchase date is its first invoice, and churn still wins", () => {
    const paid = [subscription(daysAgo(100), { startedAt: daysAgo(100) }), invoicePaid(daysAgo(100), { invoiceId: "in_1" })];
    expect(stage(cfg, company(daysAgo(10), { lifecyclestage: "customer" }), ...paid)).toMatchObject({ stage: "purchase", since: daysAgo(100) });
    const churned = subscription(daysAgo(5), { status: "canceled", endedAt: daysAgo(5), canceledAt: daysAgo(5) });
    expect(stage(cfg, company(daysAgo(10), { lifecyclestage: "customer" }), ...paid, churned).stage).toBe("churned");
  });
});

describe("deal stages through config", () => {
  it("HubSpot's default pipeline by default; a custom pipeline's stage ids through dealStages", () => {
    const signed = deal(daysAgo(20), { dealId: "d_9", stage: "contractsigned", closeDate: daysAgo(20) });
    expect(dealStatus(signed as never, cfg)).toBe("open");
    expect(dealStatus(signed as never, custom)).toBe("won");
    expect(stage(cfg, signed)).toMatchObject({ stage: "conversion" });
    expect(stage(custom, signed)).toMatchObject({ stage: "purchase", since: daysAgo(20) });
    const walked = deal(daysAgo(20), { stage: "walkedaway" });
    expect(stage(cfg, walked).stage).toBe("conversion");
    expect(stage(custom, walked).stage).toBe("awareness");
  });

  it("a deal known without a stage keeps the status it arrived with", () => {
    expect(stage(custom, deal(daysAgo(3), { status: "lost" })).stage).toBe("awareness");
    expect(stage(custom, deal(daysAgo(3), { status: "won", closeDate: daysAgo(3) })).stage).toBe("purchase");
  });

  it("the first won deal is the purchase, each later one a renewal: with current use of the main features, loyalty", () => {
    const first = deal(daysAgo(400), { dealId: "d_new", stage: "closedwon", closeDate: daysAgo(400) });
    const renewal = deal(daysAgo(35), { dealId: "d_renew", stage: "closedwon", closeDate: daysAgo(35) });
    const use = [usage(daysAgo(399), "report_created"), usage(daysAgo(398), "export"), usage(daysAgo(3), "report_created"), usage(daysAgo(2) + HOUR, "export")];
    expect(stage(cfg, first, ...use)).toMatchObject({ renewals: 0 });
    expect(stage(cfg, first, ...use).stage).not.toBe("loyalty");
    expect(stage(cfg, first, renewal, ...use)).toMatchObject({ stage: "loyalty", renewals: 1 });
    // Renewed but not using the main features now: renewal, not loyalty.
    expect(stage(cfg, first, renewal, ...use.slice(0, 2)).stage).toBe("renewal");
    // A won deal beside billing's own first invoice is that purchase; the renewal deal after it counts.
    const paid = [subscription(daysAgo(401), { startedAt: daysAgo(401) }), invoicePaid(daysAgo(401), { invoiceId: "in_1" })];
    expect(stage(cfg, ...paid, first, ...use)).toMatchObject({ renewals: 0 });
    expect(stage(cfg, ...paid, first, renewal, ...use)).toMatchObject({ stage: "loyalty", renewals: 1 });
  });

  it("a deal closed after `now` does not count yet", () => {
    const later = deal(NOW + DAY, { stage: "closedwon", closeDate: NOW + DAY });
    expect(stageOf(stateOf(later), NOW, cfg).stage).not.toBe("purchase");
    expect(stageOf(stateOf(later), NOW + 2 * DAY, cfg)).toMatchObject({ stage: "purchase", since: NOW + DAY });
  });
});

describe("laws", () => {
  const customerMark = (at: number): NormalizedEvent => ({ ...company(at, { lifecyclestage: "customer" }), id: "hubspot:lifecycle-mark" });

  it("marking a company customer never leaves it before purchase (unless churned), and never lowers its stage", () => {
    fc.assert(
      fc.property(arbEventLog(30), arbNow, (events, now) => {
        const at = Math.min(now, ...events.map((e) => e.occurredAt), now);
        const before = stageOf(applyEvents(emptyState(), events), now, cfg);
        // The mark is the newest word on lifecyclestage.
        const marked = events.filter((e) => !(e.type === "company.changed" && "lifecyclestage" in e.properties));
        const after = stageOf(applyEvents(emptyState(), [...marked, customerMark(at)]), now, cfg);
        if (after.stage === "churned") return;
        expect(order(after.stage)).toBeGreaterThanOrEqual(order("purchase"));
        if (before.stage !== "churned" && !events.some((e) => e.type === "company.changed" && "lifecyclestage" in e.properties)) {
          expect(order(after.stage)).toBeGreaterThanOrEqual(order(before.stage));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("renaming a pipeline's stage ids in both the deals and the config changes nothing", () => {
    const rename = (s: string) => `custom_${s}`;
    fc.assert(
      fc.property(arbEventLog(30), arbNow, (events, now) => {
        const renamed = events.map((e) => (e.type === "deal.changed" && e.stage !== undefined ? { ...e, stage: rename(e.stage) } : e));
        const renamedCfg: LifecycleConfig = { ...cfg, dealStages: { won: [rename("closedwon")], lost: [rename("closedlost")] } };
        const a = stageOf(applyEvents(emptyState(), events), now, cfg);
        const b = stageOf(applyEvents(emptyState(), renamed), now, renamedCfg);
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });

  it("the same facts in any order give the same stage", () => {
    fc.assert(
      fc.property(arbEventLog(25).chain((ev) => fc.tuple(fc.constant(ev), fc.shuffledSubarray(ev, { minLength: ev.length, maxLength: ev.length }))), arbNow, ([events, shuffled], now) => {
        expect(stageOf(applyEvents(emptyState(), shuffled), now, custom)).toEqual(stageOf(applyEvents(emptyState(), events), now, custom));
      }),
      { numRuns: 100 },
    );
  });
});
