import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultHealthModel, scoreHealth } from "../../src/core/health";
import { isoDay, parseCrmTime } from "../../src/core/health/factors";
import { monthKey } from "../../src/core/rewards/ledger";
import { monthDayOf } from "../../src/core/rewards/occasions";
import { EARLIEST_TIME, isoTime, LATEST_TIME, timeFields, timeProblems } from "../../src/core/time";
import { DAY, HOUR, NOW, paymentFailed, stateOf, subscription, ticket, usage } from "./events";

const MAX_FUTURE = 24 * HOUR;
const LAST_DATE = 8.64e15;

describe("timeFields", () => {
  it("finds every time field of the union from the schema, occurredAt on every type", () => {
    for (const fields of Object.values(timeFields)) expect(fields[0]).toBe("occurredAt");
    expect(timeFields["subscription.changed"]).toEqual(["occurredAt", "startedAt", "trialStart", "trialEnd", "currentPeriodEnd", "cancelAt", "canceledAt", "endedAt"]);
    expect(timeFields["invoice.paid"]).toEqual(["occurredAt", "periodEnd"]);
    expect(timeFields["payment.failed"]).toEqual(["occurredAt", "nextAttemptAt"]);
    expect(timeFields["trial.ending"]).toEqual(["occurredAt", "trialEnd"]);
    expect(timeFields["deal.changed"]).toEqual(["occurredAt", "closeDate"]);
    expect(timeFields["ticket.changed"]).toEqual(["occurredAt", "openedAt", "firstResponseAt"]);
    expect(timeFields["usage.tracked"]).toEqual(["occurredAt"]);
  });
});

describe("timeProblems", () => {
  const paths = (ev: Parameters<typeof timeProblems>[0], now = NOW) => timeProblems(ev, now, MAX_FUTURE).map((p) => p.path);

  it("accepts 2000-01-01 and the last ms before 2100; refuses the ms before 2000 and 2100-01-01 itself", () => {
    expect(paths(usage(EARLIEST_TIME, "x"), EARLIEST_TIME)).toEqual([]);
    expect(paths(usage(EARLIEST_TIME - 1, "x"))).toEqual(["occurredAt"]);
    expect(paths(subscription(NOW, { currentPeriodEnd: LATEST_TIME - 1 }))).toEqual([]);
    expect(paths(subscription(NOW, { currentPeriodEnd: LATEST_TIME }))).toEqual(["currentPeriodEnd"]);
  });

  it("refuses NaN, ±Infinity, negatives and times no Date can hold, naming the value", () => {
    for (const bad of [NaN, Infinity, -Infinity, -1, 8.7e15, LAST_DATE + 1]) {
      const [p] = timeProblems(subscription(NOW, { canceledAt: bad }), NOW, MAX_FUTURE);
      expect(p, String(bad)).toMatchObject({ path: "canceledAt", message: expect.stringContaining(String(bad)) });
    }
    expect(timeProblems(usage(Date.UTC(9999, 11, 31), "x"), NOW, MAX_FUTURE)[0]!.message).toContain("9999-12-31T00:00:00.000Z");
  });

  it("occurredAt may be at most the tolerance after now; legitimately future fields only get the range", () => {
    expect(paths(usage(NOW + MAX_FUTURE, "x"))).toEqual([]);
    expect(paths(usage(NOW + MAX_FUTURE + 1, "x"))).toEqual(["occurredAt"]);
    expect(paths(usage(NOW + 2 * HOUR, "x"), NOW)).toEqual([]);
    expect(timeProblems(usage(NOW + 2 * HOUR, "x"), NOW, HOUR)[0]!.message).toContain("more than 1 hour after");
    const future = NOW + 50 * 365 * DAY;
    expect(paths(subscription(NOW, { currentPeriodEnd: future, trialEnd: future, cancelAt: future }))).toEqual([]);
  });

  it("skips absent and null times, and lists every offending field", () => {
    expect(paths(paymentFailed(NOW, { invoiceId: "in_1", nextAttemptAt: null }))).toEqual([]);
    expect(paths(ticket(8.7e15, { ticketId: "t", openedAt: 1, firstResponseAt: NOW }))).toEqual(["occurredAt", "openedAt"]);
  });

  it("never throws, whatever the numbers", () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.double(), (at, end, now) => {
        timeProblems(subscription(at, { endedAt: end }), now, MAX_FUTURE);
      }),
    );
  });
});

describe("isoTime", () => {
  it("formats any time a Date can hold, and gives undefined for the rest instead of throwing", () => {
    expect(isoTime(0)).toBe("1970-01-01T00:00:00.000Z");
    expect(isoTime(LAST_DATE)).toBe("+275760-09-13T00:00:00.000Z");
    for (const bad of [LAST_DATE + 1, -LAST_DATE - 1, 8.7e15, NaN, Infinity, -Infinity, null, undefined, "2026-01-01"]) expect(isoTime(bad), String(bad)).toBeUndefined();
    fc.assert(fc.property(fc.double(), (x) => void isoTime(x)));
  });
});

describe("CRM times and factor details", () => {
  it("parseCrmTime keeps 2000–2100 and drops the rest (year 9999, a date in seconds)", () => {
    expect(parseCrmTime("2026-12-24")).toBe(Date.UTC(2026, 11, 24));
    expect(parseCrmTime(String(Date.UTC(2027, 0, 1)))).toBe(Date.UTC(2027, 0, 1));
    expect(parseCrmTime("9999-12-31")).toBeNull();
    expect(parseCrmTime("253402214400000")).toBeNull();
    expect(parseCrmTime("1766578400")).toBeNull();
    expect(parseCrmTime("99999999999999999999")).toBeNull();
    expect(parseCrmTime("1999-12-31")).toBeNull();
    expect(parseCrmTime("soon")).toBeNull();
  });

  it("isoDay shows a time no Date can hold as its raw value", () => {
    expect(isoDay(Date.UTC(2026, 0, 2))).toBe("2026-01-02");
    expect(isoDay(8.7e15)).toBe("8700000000000000");
  });

  it("rewards read stored times without throwing: a birthday in ms, a referral month", () => {
    expect(monthDayOf(String(Date.UTC(1990, 4, 17)))).toBe("05-17");
    expect(monthDayOf("99999999999999999")).toBeNull();
    expect(monthKey(Date.UTC(2026, 10, 30))).toBe("2026-11");
    expect(monthKey(8.7e15)).toBe("8700000000000000");
  });

  it("scoring a stored subscription with an absurd end or cancellation time does not throw", () => {
    const ended = stateOf(subscription(NOW - DAY, { status: "canceled", endedAt: 8.7e15 }));
    expect(scoreHealth(ended, NOW, defaultHealthModel).drivers.map((d) => d.detail)).toContain("subscription ended 8700000000000000");
    const cancelling = stateOf(subscription(NOW - DAY, { cancelAtPeriodEnd: true, cancelAt: 8.7e15 }));
    expect(() => scoreHealth(cancelling, NOW, defaultHealthModel)).not.toThrow();
  });
});
