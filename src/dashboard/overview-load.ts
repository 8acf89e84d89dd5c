import { z } from "zod";
import { computeMetrics, portfolioScoreByDay, windowTopics, type Period } from "../core/metrics";
import type { LifecycleConfig } from "../core/lifecycle";
import { isPlausibleTime } from "../core/time";
import { AppError } from "../errors";
import { metricsWindow } from "../routes/metrics";
import { loadMetricsRows, loadScorePoints } from "../store/metrics";
import { overviewCharts } from "./overview-charts";
import { DAY, WINDOW_DAYS, lastDays, type TimeWindow } from "./time-axis";

/**
 * A date from a form (yyyy-mm-dd, a whole UTC day), an ISO instant, or ms. `end` makes a date exclusive.
 * Anything that is not a time between 2000 and 2100 is ignored (the chosen window is shown).
 */
const dayOrInstant = (end: boolean) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => {
      if (!v) return undefined;
      const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      if (!isPlausibleTime(t)) return undefined;
      return end && /^\d{4}-\d{2}-\d{2}$/.test(v) ? t + DAY : t;
    });

export const overviewQuery = z.object({
  days: z.enum(WINDOW_DAYS.map(String) as [string, ...string[]]).catch("30").default("30").transform(Number),
  from: dayOrInstant(false),
  to: dayOrInstant(true),
});

/** Trend points per day on a week, per week up to a quarter, per month beyond: enough answers in each. */
export function periodFor(w: TimeWindow): Period {
  const days = (w.to - w.from) / DAY;
  return days <= 14 ? "day" : days <= 120 ? "week" : "month";
}

/** The portfolio score is read per day up to a quarter, and at the close of each 7-day step beyond. */
export const scoreStepDays = (w: TimeWindow) => ((w.to - w.from) / DAY > 120 ? 7 : 1);

/** The overview's numbers for the chosen window: the last N days, or a custom from–to range. */
export async function loadOverview(db: D1Database, q: z.infer<typeof overviewQuery>, lifecycle: LifecycleConfig, now: number) {
  let window: TimeWindow = lastDays(q.days, now);
  let problem: string | null = null;
  if (q.from !== undefined || q.to !== undefined) {
    try {
      window = metricsWindow({ from: q.from, to: q.to }, now);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      problem = `${err.message} Showing the last ${q.days} days.`;
    }
  }
  const custom = problem === null && (q.from !== undefined || q.to !== undefined);
  const step = scoreStepDays(window);
  const [rows, points] = await Promise.all([loadMetricsRows(db, window.to), loadScorePoints(db, window.from, window.to, undefined, step)]);
  const report = computeMetrics({ ...rows, lifecycle, grossMargin: 0.8 }, { window, period: periodFor(window) });
  // Each step's close, and the last day (today, whose step has not closed yet).
  const scores = portfolioScoreByDay(points, window).filter((d, i, all) => step === 1 || (Date.parse(d.day) / DAY + 1) % step === 0 || i === all.length - 1);
  const charts = overviewCharts(report, scores, window);
  return { report, charts, topics: windowTopics(rows.customers, window), days: q.days, custom, window, problem };
}
