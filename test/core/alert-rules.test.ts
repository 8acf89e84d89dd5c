import { describe, expect, it } from "vitest";
import type { AlertLog, PlanInput } from "../../src/core/plan";
import { DAY, HOUR, NOW, alerts, cancelScheduled, paymentFailed, plan, recoveries, rules, snap } from "./plan-fixtures";

const rulesOf = (over: Partial<PlanInput>) => alerts(plan(over)).map((a) => a.rule);
const stale = NOW - (rules.maxEventAgeHours + 1) * HOUR;
const peak = [{ at: NOW - 5 * DAY, score: 82, band: "green" as const }];
const stillScheduled = { cancelScheduled: () => true, invoiceUnpaid: () => true };
const churned = { stage: "churned" as const };

describe("payment_failed", () => {
  const ev = paymentFailed();
  const steady = { before: snap(80, "green"), after: snap(78, "green"), events: [ev], causeAt: ev.occurredAt };

  it("fires for a fresh failure, and not below the MRR floor or once the invoice is paid", () => {
    expect(rulesOf(steady)).toEqual(["payment_failed"]);
    expect(rulesOf({ ...steady, rules: { ...rules, paymentFailedMinMrr: 20_000 } })).toEqual([]);
    expect(rulesOf({ ...steady, stillTrue: { ...stillScheduled, invoiceUnpaid: () => false } })).toEqual([]);
  });

  it("respects the cooldown, then alerts the next attempt", () => {
    const first = plan(steady);
    const retry = paymentFailed({ attemptCount: 2, occurredAt: NOW + DAY });
    expect(rulesOf({ ...steady, events: [retry], causeAt: retry.occurredAt, now: NOW + DAY, alerts: first.alerts })).toEqual([]);
    const later = paymentFailed({ attemptCount: 3, occurredAt: NOW + 4 * DAY });
    expect(rulesOf({ ...steady, events: [later], causeAt: later.occurredAt, now: NOW + 4 * DAY, alerts: first.alerts })).toEqual(["payment_failed"]);
  });

  it("is silent for a stale failure and for a churned customer", () => {
    const old = paymentFailed({ occurredAt: stale });
    expect(rulesOf({ ...steady, events: [old], causeAt: old.occurredAt })).toEqual([]);
    expect(rulesOf({ ...steady, after: snap(78, "green", churned) })).toEqual([]);
  });
});

describe("cancel_scheduled", () => {
  const ev = cancelScheduled();
  const steady = { before: snap(80, "green"), after: snap(79, "green"), events: [ev], causeAt: ev.occurredAt, stillTrue: stillScheduled };

  it("fires for a scheduled cancellation, with the feedback, and not for one withdrawn since or already ended", () => {
    const [only] = alerts(plan(steady));
    expect(only).toMatchObject({ rule: "cancel_scheduled" });
    expect(only!.summary).toContain("too_expensive");
    expect(rulesOf({ ...steady, stillTrue: { ...stillScheduled, cancelScheduled: () => false } })).toEqual([]);
    const ended = cancelScheduled({ status: "canceled" });
    expect(rulesOf({ ...steady, events: [ended] })).toEqual([]);
  });

  it("respects the cooldown of an earlier alert", () => {
    const log: AlertLog = { payment_failed: { at: NOW - 2 * HOUR, actionId: "x" } };
    expect(rulesOf({ ...steady, alerts: log })).toEqual([]);
  });

  it("is silent for a stale cancellation and for a churned customer", () => {
    const old = cancelScheduled({ occurredAt: stale });
    expect(rulesOf({ ...steady, events: [old], causeAt: old.occurredAt })).toEqual([]);
    expect(rulesOf({ ...steady, after: snap(79, "green", churned) })).toEqual([]);
  });

  it("is one alert with the score drop it causes: cancel_scheduled, the drop into red in its text", () => {
    const first = plan({ ...steady, after: snap(40, "red"), history: peak });
    const posted = alerts(first);
    expect(posted.map((a) => a.rule)).toEqual(["cancel_scheduled"]);
    expect(posted[0]!.summary).toMatch(/entered red at 40.*dropped 42 points/);
    // Out of red but still well below the peak, after the cooldown: the same fall, nothing new to say.
    const yellow = plan({ before: snap(40, "red"), after: snap(60, "yellow"), history: peak, alerts: first.alerts, now: NOW + 4 * DAY, stillTrue: stillScheduled });
    expect(alerts(yellow)).toEqual([]);
  });

  it("explains a later fall while it is still scheduled, and lets it speak once withdrawn", () => {
    const first = plan(steady);
    const later = { before: snap(79, "green"), after: snap(45, "red"), history: peak, alerts: first.alerts, now: NOW + 5 * DAY };
    const explained = plan({ ...later, stillTrue: stillScheduled });
    expect(alerts(explained)).toEqual([]);
    expect(explained.alerts.entered_red?.actionId).toBe(first.alerts.cancel_scheduled!.actionId);
    expect(rulesOf({ ...later, stillTrue: { ...stillScheduled, cancelScheduled: () => false } })).toEqual(["entered_red"]);
  });
});

describe("entered_red", () => {
  it("fires on entering red and not while green or yellow", () => {
    expect(rulesOf({})).toEqual(["entered_red"]);
    expect(rulesOf({ after: snap(60, "yellow") })).toEqual([]);
  });

  it("names the band it left as well as the score: with hysteresis a yellow 49 can become a red 49", () => {
    const history = [{ at: NOW - 3 * DAY, score: 49, band: "yellow" as const }, { at: NOW - DAY, score: 46, band: "red" as const }];
    const [alert] = alerts(plan({ before: snap(46, "red"), after: snap(49, "red"), history }));
    expect(alert!.summary).toContain(`entered red at 49 (yellow at 49 on ${new Date(NOW - 3 * DAY).toISOString().slice(0, 10)})`);
  });

  it("fires once while red, even after the cooldown", () => {
    const first = plan({});
    expect(rulesOf({ before: snap(40, "red"), after: snap(35, "red"), alerts: first.alerts, now: NOW + 10 * DAY })).toEqual([]);
  });

  it("respects the cooldown of another rule's alert", () => {
    expect(rulesOf({ alerts: { score_drop: { at: NOW - HOUR, actionId: "x" } } })).toEqual([]);
  });

  it("posts one recovery on a return to green, then may alert again", () => {
    const first = plan({ history: peak });
    const green = plan({ before: snap(40, "red"), after: snap(80, "green"), alerts: first.alerts, now: NOW + 4 * DAY });
    // entered_red and the drop it covered share one alert: one recovery in its thread.
    expect(first.alerts.score_drop?.actionId).toBe(first.alerts.entered_red!.actionId);
    expect(recoveries(green).map((a) => a.id)).toEqual([`slack.recovery:${first.alerts.entered_red!.actionId}`]);
    expect(rulesOf({ before: snap(80, "green"), after: snap(45, "red"), alerts: green.alerts, now: NOW + 8 * DAY, causeAt: NOW + 8 * DAY })).toEqual(["entered_red"]);
  });

  it("is silent for a churned customer and when only stale facts moved it", () => {
    expect(rulesOf({ after: snap(40, "red", churned) })).toEqual([]);
    const old = paymentFailed({ occurredAt: stale });
    expect(rulesOf({ events: [old], causeAt: old.occurredAt, stillTrue: { ...stillScheduled, invoiceUnpaid: () => false } })).toEqual([]);
  });
});

describe("score_drop", () => {
  const drop = { history: peak, before: snap(72, "yellow"), after: snap(66, "yellow") };

  it("fires for a drop of dropPoints within the window, not for a smaller one", () => {
    expect(rulesOf(drop)).toEqual(["score_drop"]);
    expect(rulesOf({ ...drop, after: snap(76, "green") })).toEqual([]);
  });

  it("fires once while the drop holds, and after a recovery to green only for a new drop", () => {
    const first = plan(drop);
    expect(rulesOf({ ...drop, before: snap(66, "yellow"), after: snap(64, "yellow"), alerts: first.alerts, now: NOW + 4 * DAY })).toEqual([]);
    const green = plan({ ...drop, before: snap(64, "yellow"), after: snap(80, "green"), alerts: first.alerts, now: NOW + 4 * DAY });
    expect(recoveries(green)).toHaveLength(1);
    const newPeak = [{ at: NOW + 4 * DAY, score: 80, band: "green" as const }];
    expect(rulesOf({ history: newPeak, before: snap(80, "green"), after: snap(66, "yellow"), alerts: green.alerts, now: NOW + 8 * DAY })).toEqual(["score_drop"]);
  });

  it("respects the cooldown", () => {
    expect(rulesOf({ ...drop, alerts: { payment_failed: { at: NOW - HOUR, actionId: "x" } } })).toEqual([]);
  });

  it("is silent for a churned customer and for stale facts", () => {
    expect(rulesOf({ ...drop, after: snap(66, "yellow", churned) })).toEqual([]);
    const old = paymentFailed({ occurredAt: stale });
    expect(rulesOf({ ...drop, events: [old], causeAt: old.occurredAt })).toEqual([]);
  });

  it("is not posted again for a drop already reported as entering red, on the way back up", () => {
    const red = plan({ history: peak });
    expect(alerts(red).map((a) => a.rule)).toEqual(["entered_red"]);
    expect(rulesOf({ history: peak, before: snap(40, "red"), after: snap(60, "yellow"), alerts: red.alerts, now: NOW + 4 * DAY })).toEqual([]);
  });
});

describe("first_value_missed", () => {
  const missed = { before: snap(60, "yellow"), after: snap(55, "yellow", { firstValueMissed: true }), usageConnected: true, firstValueDueAt: NOW - HOUR };

  it("fires when the deadline passes with a usage source connected", () => {
    expect(rulesOf(missed)).toEqual(["first_value_missed"]);
  });

  it("does not fire without a connected usage source, before the deadline, or for a churned customer", () => {
    expect(rulesOf({ ...missed, usageConnected: false })).toEqual([]);
    expect(rulesOf({ ...missed, usageConnected: undefined })).toEqual([]);
    expect(rulesOf({ ...missed, after: snap(55, "yellow") })).toEqual([]);
    expect(rulesOf({ ...missed, after: snap(55, "yellow", { firstValueMissed: true, ...churned }) })).toEqual([]);
  });

  it("fires once: not again while it stays missed, nor after a cooldown", () => {
    const first = plan(missed);
    const again = { ...missed, before: snap(55, "yellow"), alerts: first.alerts, now: NOW + 10 * DAY };
    expect(rulesOf(again)).toEqual([]);
  });

  it("respects the cooldown", () => {
    expect(rulesOf({ ...missed, alerts: { cancel_scheduled: { at: NOW - HOUR, actionId: "x" } } })).toEqual([]);
  });

  it("is said by whichever step sees it first while the deadline is recent, and not for an old deadline", () => {
    expect(rulesOf({ ...missed, before: snap(60, "yellow", { firstValueMissed: true }) })).toEqual(["first_value_missed"]);
    expect(rulesOf({ ...missed, firstValueDueAt: NOW - (rules.maxEventAgeHours + 1) * HOUR })).toEqual([]);
    expect(rulesOf({ ...missed, firstValueDueAt: undefined })).toEqual([]);
  });

  it("is silent when stale facts moved it", () => {
    const old = paymentFailed({ occurredAt: stale });
    expect(rulesOf({ ...missed, events: [old], causeAt: old.occurredAt })).toEqual([]);
  });
});
