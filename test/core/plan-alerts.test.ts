import { describe, expect, it } from "vitest";
import type { AlertLog } from "../../src/core/plan";
import { DAY, HOUR, NOW, alerts, paymentFailed, plan, snap } from "./plan-fixtures";

const fresh = paymentFailed();

describe("alert planning", () => {
  it("alerts once for a customer that is red, and not again while it stays red", () => {
    const first = plan({});
    expect(alerts(first).map((a) => a.rule)).toEqual(["entered_red"]);
    const later = plan({ before: snap(40, "red"), after: snap(38, "red"), alerts: first.alerts, now: NOW + 5 * DAY });
    expect(alerts(later)).toEqual([]);
  });

  it("alerts again after the condition stopped holding and came back", () => {
    const first = plan({});
    const yellow = plan({ before: snap(40, "red"), after: snap(60, "yellow"), alerts: first.alerts, now: NOW + 4 * DAY });
    expect(alerts(yellow)).toEqual([]);
    const again = plan({ before: snap(60, "yellow"), after: snap(45, "red"), alerts: yellow.alerts, now: NOW + 8 * DAY, causeAt: NOW + 8 * DAY });
    expect(alerts(again).map((a) => a.rule)).toEqual(["entered_red"]);
  });

  it("posts one alert per customer when several rules fire, the most urgent first, the others in its text", () => {
    const r = plan({ events: [fresh], causeAt: fresh.occurredAt });
    const [only, ...rest] = alerts(r);
    expect(rest).toEqual([]);
    expect(only!.rule).toBe("payment_failed");
    expect(only!.summary).toContain("entered red");
    expect(Object.keys(r.alerts).sort()).toEqual(["entered_red", "payment_failed"]);
  });

  it("reports a drop into red as entering red, and measures a drop against the event-time timeline", () => {
    const history = [{ at: NOW - 5 * DAY, score: 82, band: "green" as const }];
    expect(alerts(plan({ history })).map((a) => a.rule)).toEqual(["entered_red"]);
    const drop = alerts(plan({ history, before: snap(70, "yellow"), after: snap(66, "yellow") }));
    expect(drop.map((a) => a.rule)).toEqual(["score_drop"]);
    expect(drop[0]!.previousScore).toBe(82);
    // A peak older than the drop window does not count.
    expect(alerts(plan({ history: [{ at: NOW - 20 * DAY, score: 82 }], before: snap(70, "yellow"), after: snap(66, "yellow") }))).toEqual([]);
  });

  it("raises nothing from facts that arrived long after they happened, for a churned customer, or while snoozed", () => {
    const old = { ...fresh, occurredAt: NOW - 10 * DAY };
    expect(alerts(plan({ events: [old], causeAt: old.occurredAt }))).toEqual([]);
    expect(alerts(plan({ after: snap(30, "red", { stage: "churned" }) }))).toEqual([]);
    expect(alerts(plan({ alerts: { snoozedUntil: NOW + DAY } as AlertLog }))).toEqual([]);
  });

  it("keeps quiet for a customer within the cooldown of its last alert, whatever the rule", () => {
    const log: AlertLog = { score_drop: { at: NOW - 10 * HOUR, actionId: "x", cleared: true } };
    expect(alerts(plan({ alerts: log, events: [fresh], causeAt: fresh.occurredAt }))).toEqual([]);
    expect(alerts(plan({ alerts: log, now: NOW + 3 * DAY, events: [fresh], causeAt: NOW + 3 * DAY - HOUR })).length).toBe(1);
  });

  it("does not alert a payment failure that was paid since", () => {
    const paid = { cancelScheduled: () => false, invoiceUnpaid: () => false };
    const r = plan({ before: snap(80, "green"), after: snap(78, "green"), events: [fresh], causeAt: fresh.occurredAt, stillTrue: paid });
    expect(alerts(r)).toEqual([]);
  });
});
