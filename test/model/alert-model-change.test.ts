import { describe, expect, it } from "vitest";
import { modelChanged } from "../../src/core/alert-rules";
import { DAY, NOW, alerts, paymentFailed, plan, snap } from "../core/plan-fixtures";

const oldModel = (score: number, band: "green" | "yellow" | "red") => snap(score, band, { modelVersion: "mv_old" });
const newModel = (score: number, band: "green" | "yellow" | "red") => snap(score, band, { modelVersion: "mv_new" });

describe("a band change caused by a model change", () => {
  it("is recognised from the previous score's model version", () => {
    expect(modelChanged({ before: oldModel(80, "green"), after: newModel(40, "red") } as never)).toBe(true);
    expect(modelChanged({ before: oldModel(80, "green"), after: oldModel(40, "red") } as never)).toBe(false);
    expect(modelChanged({ before: null, after: newModel(40, "red") } as never)).toBe(false);
  });

  it("raises no churn alert, while the same change under one model does", () => {
    const history = [{ at: NOW - 3 * DAY, score: 80, band: "green" as const }];
    const sameModel = plan({ before: oldModel(80, "green"), after: oldModel(40, "red"), history, hubspotCompanyId: "h_1" });
    expect(alerts(sameModel).map((a) => a.rule)).toEqual(["entered_red"]);
    expect(sameModel.actions.filter((a) => a.payload.type === "hubspot.note")).toHaveLength(1);
    const changed = plan({ before: oldModel(80, "green"), after: newModel(40, "red"), history, hubspotCompanyId: "h_1" });
    expect(alerts(changed)).toEqual([]);
    // No HubSpot note claims the customer moved either.
    expect(changed.actions.filter((a) => a.payload.type === "hubspot.note")).toEqual([]);
    // A drop within a band is the model's too.
    expect(alerts(plan({ before: oldModel(90, "green"), after: newModel(66, "yellow"), history: [{ at: NOW - DAY, score: 90, band: "green" }] }))).toEqual([]);
  });

  it("stays quiet on later steps while the condition holds, and alerts when it returns after a recovery", () => {
    const changed = plan({ before: oldModel(80, "green"), after: newModel(40, "red") });
    const next = plan({ before: newModel(40, "red"), after: newModel(39, "red"), alerts: changed.alerts, now: NOW + DAY });
    expect(alerts(next)).toEqual([]);
    // Recovering to green posts no Slack recovery for an alert that was never posted.
    const green = plan({ before: newModel(40, "red"), after: newModel(80, "green"), alerts: next.alerts, now: NOW + 5 * DAY });
    expect(green.actions.filter((a) => a.payload.type === "slack.recovery")).toEqual([]);
    const again = plan({ before: newModel(80, "green"), after: newModel(45, "red"), alerts: green.alerts, now: NOW + 9 * DAY, causeAt: NOW + 9 * DAY });
    expect(alerts(again).map((a) => a.rule)).toEqual(["entered_red"]);
  });

  it("still alerts what the step's events state, and does not hold other alerts back by a cooldown", () => {
    const ev = paymentFailed();
    const r = plan({ before: oldModel(80, "green"), after: newModel(40, "red"), events: [ev], causeAt: ev.occurredAt });
    expect(alerts(r).map((a) => a.rule)).toEqual(["payment_failed"]);
    const quiet = plan({ before: oldModel(80, "green"), after: newModel(40, "red") });
    const later = paymentFailed({ id: "stripe:evt_9", invoiceId: "in_9", occurredAt: NOW + 2 * 3_600_000 });
    const pay = plan({ before: newModel(40, "red"), after: newModel(38, "red"), alerts: quiet.alerts, events: [later], now: NOW + 3 * 3_600_000, causeAt: later.occurredAt });
    expect(alerts(pay).map((a) => a.rule)).toEqual(["payment_failed"]);
  });
});

describe("after a model change", () => {
  it("measures a drop only from what the new model said, never from the old model's points", () => {
    const oldPoint = { at: NOW - 3 * DAY, score: 80, band: "green" as const, modelVersion: "mv_old" };
    // The change itself moved 80 to 72 (less than a drop): nothing to absorb, nothing posted.
    const change = plan({ before: oldModel(80, "green"), after: newModel(72, "yellow"), history: [oldPoint] });
    expect(alerts(change)).toEqual([]);
    // A day later a real 3-point decline: under one model it would add up to an 11-point "drop".
    const history = [oldPoint, { at: NOW, score: 72, band: "yellow" as const, modelVersion: "mv_new" }];
    const next = plan({ before: newModel(72, "yellow"), after: newModel(69, "yellow"), history, alerts: change.alerts, now: NOW + DAY, causeAt: NOW + DAY });
    expect(alerts(next)).toEqual([]);
    // A real drop under the new model still alerts.
    const fall = plan({ before: newModel(69, "yellow"), after: newModel(58, "yellow"), history, alerts: next.alerts, now: NOW + 2 * DAY, causeAt: NOW + 2 * DAY });
    expect(alerts(fall).map((a) => a.rule)).toEqual(["score_drop"]);
    expect(alerts(fall)[0]!.previousScore).toBe(72);
  });
});
