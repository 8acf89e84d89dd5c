import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionPayloadSchema, destinationOf, type Action } from "../../src/core/actions";
import type { Snapshot } from "../../src/core/plan";
import { planDeclaredRequests, planOutboundEvents } from "../../src/plugins/outbound";
import { NOW, snap } from "../core/plan-fixtures";

const band = fc.constantFrom<Snapshot["band"]>("green", "yellow", "red");
const stage = fc.constantFrom<Snapshot["stage"]>("onboarding", "renewal", "loyalty", "churned");
const snapshot = fc.record({ score: fc.integer({ min: 0, max: 100 }), band, stage }).map((s) => snap(s.score, s.band, { stage: s.stage }));
const credit: Action = { id: "stripe.credit:ref1", customerId: "c1", payload: { type: "stripe.credit", stripeCustomerId: "cus_1", amount: -2500, currency: "usd", description: "Referral reward", metadata: {} } };

describe("planOutboundEvents", () => {
  it("is deterministic, valid, unique per id, and announces only what changed", () => {
    fc.assert(
      fc.property(fc.option(snapshot, { nil: null }), snapshot, fc.integer({ min: 0, max: NOW }), (before, after, causeAt) => {
        const input = { customerId: "c1", name: "Northwind", before, after, planned: [], causeAt };
        const a = planOutboundEvents(input);
        expect(planOutboundEvents(input)).toEqual(a);
        expect(new Set(a.map((x) => x.id)).size).toBe(a.length);
        for (const x of a) {
          actionPayloadSchema.parse(x.payload);
          expect(destinationOf(x.payload.type)).toBe("webhook");
        }
        const types = a.map((x) => (x.payload.type === "webhook.event" ? x.payload.event : ""));
        expect(types.includes("score.changed")).toBe(!before || before.score !== after.score);
        expect(types.includes("band.changed")).toBe(!!before && before.band !== after.band);
        expect(types.includes("stage.changed")).toBe(!!before && before.stage !== after.stage);
      }),
    );
  });

  it("announces a planned reward credit as a positive amount, under an id derived from the credit's", () => {
    const [e] = planOutboundEvents({ customerId: "c1", name: "Northwind", before: snap(70, "green"), after: snap(70, "green"), planned: [credit], causeAt: NOW });
    expect(e).toEqual({ id: "webhook:stripe.credit:ref1", customerId: "c1", payload: { type: "webhook.event", event: "reward.credited", at: NOW, data: { name: "Northwind", amount: 2500, currency: "usd", description: "Referral reward" } } });
  });

  it("gives a destination that holds state one request per account with its current values; others one per event", () => {
    const before = snap(80, "green", { stage: "renewal" });
    const after = snap(40, "red", { stage: "renewal" });
    const announced = planOutboundEvents({ customerId: "c1", name: "N", before, after, planned: [], causeAt: NOW });
    const state = planDeclaredRequests(announced, [{ name: "intercom", events: ["score.changed", "band.changed"], coalesce: true }], after);
    expect(state).toEqual([
      { id: "declared:intercom:c1", customerId: "c1", payload: { type: "declared.request", plugin: "intercom", coalesce: true, event: "band.changed", at: NOW, data: { score: 40, band: "red", stage: "renewal" } } },
    ]);
    const perEvent = planDeclaredRequests(announced, [{ name: "teams", events: ["band.changed"] }], after);
    expect(perEvent.map((a) => a.id)).toEqual([`declared:teams:${announced[1]!.id}`]);
  });
});
