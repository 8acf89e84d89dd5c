import { describe, expect, it } from "vitest";
import { heldSeries } from "../../src/dashboard/customer-charts";
import { lastDays } from "../../src/dashboard/time-axis";

const DAY = 86_400_000;
const NOW = Date.parse("2026-12-07T10:00:00Z");
const close = (daysAgo: number) => Date.parse("2026-12-07T23:59:59.999Z") - daysAgo * DAY;

describe("the score-history line", () => {
  const window = lastDays(30, NOW);

  it("starts with the value held when the window opens and runs on to today's score", () => {
    const history = [
      { at: close(60), score: 80 },
      { at: close(20), score: 64 },
    ];
    expect(heldSeries(history, 64, window)).toEqual([
      { at: window.from, value: 80 },
      { at: close(20), value: 64 },
      { at: window.to - 1, value: 64 },
    ]);
  });

  it("ends at today's stored point when the score changed today, and draws nothing for a customer without a timeline", () => {
    const history = [{ at: close(10), score: 70 }, { at: close(0), score: 55 }];
    expect(heldSeries(history, 55, window)).toEqual([
      { at: close(10), value: 70 },
      { at: close(0), value: 55 },
    ]);
    expect(heldSeries([], 50, window)).toEqual([]);
  });
});
