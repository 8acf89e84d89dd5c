import { sketchCount } from "../core/sketch";
import type { CustomerDetail } from "../store/dashboard";
import { barChart, palette, type Chart } from "./charts";
import { timeBarChart, timeLineChart } from "./time-charts";
import { DAY, WINDOW_DAYS, isoDay, lastDays } from "./time-axis";

/** Usage days are kept for 120 days: the usage chart never claims a longer window than that. */
const USAGE_DAYS_KEPT = 120;

/** The window a customer page shows, from its `days` query parameter; 90 days unless one of the choices. */
export function customerWindowDays(v: string | undefined): number {
  const n = Number(v);
  return (WINDOW_DAYS as readonly number[]).includes(n) ? n : 90;
}

export function customerCharts(c: CustomerDetail, now: number, days = 90): { days: number; history: Chart; components: Chart; usage: Chart } {
  const components = (c.health?.components ?? {}) as Record<string, number | null>;
  // A component the model gives no weight (the trend signals, until a calibrated version weighs them) moves nothing.
  const weights = ((c.health as { weights?: Record<string, number> } | null)?.weights ?? null) as Record<string, number> | null;
  const window = lastDays(days, now);
  const usageWindow = lastDays(Math.min(days, USAGE_DAYS_KEPT), now);
  const usageDays = Array.from({ length: (usageWindow.to - usageWindow.from) / DAY }, (_, i) => usageWindow.from + i * DAY);
  return {
    days,
    history: timeLineChart({
      id: "score-history",
      title: `Score history (last ${days} days)`,
      desc: `Health score of ${c.name ?? c.id} at the close of each day it changed (UTC, in event time: when the facts happened); each value holds until the next, up to today's score.`,
      window,
      lines: [{ name: "Score", color: palette.blue, points: heldSeries(c.history, c.score, window) }],
      min: 0,
      max: 100,
    }),
    components: barChart({
      id: "components",
      title: "Score components",
      desc: "Each component of the health score, 0–100; components without data, or that the model gives no weight, are left out.",
      bars: Object.entries(components)
        .filter((e): e is [string, number] => e[1] !== null && (weights === null || (weights[e[0]] ?? 0) > 0))
        .map(([name, v]) => ({ label: name, value: v, color: v >= 75 ? palette.green : v >= 50 ? palette.yellow : palette.red })),
      max: 100,
    }),
    usage: timeBarChart({
      id: "usage",
      title: `Active users per day (last ${usageDays.length} days)`,
      desc: `Distinct users with tracked product usage on each of the last ${usageDays.length} days (UTC).`,
      window: usageWindow,
      bars: usageDays.map((d) => ({ from: d, to: d + DAY, value: sketchCount(c.state.usage.days[isoDay(d)]?.u) })),
      color: palette.teal,
    }),
  };
}

/**
 * The timeline stores a point only where the score changed, and a score holds until the next point: the line
 * starts with the value held when the window opens and runs on to today's score (a flat month is a flat line,
 * not a line that stops at the last change).
 */
export function heldSeries(history: readonly { at: number; score: number }[], score: number | null, window: { from: number; to: number }): { at: number; value: number }[] {
  const before = [...history].reverse().find((h) => h.at < window.from);
  const points = [...(before ? [{ at: window.from, value: before.score }] : []), ...history.filter((h) => h.at >= window.from && h.at <= window.to).map((h) => ({ at: h.at, value: h.score }))];
  const today = window.to - 1;
  if (score !== null && points.length > 0 && points.at(-1)!.at < today) points.push({ at: today, value: score });
  return points;
}
