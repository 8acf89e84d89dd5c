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
      desc: `Health score of ${c.name ?? c.id} at the close of each day it changed (UTC, in event time: when the facts happened).`,
      window,
      lines: [{ name: "Score", color: palette.blue, points: c.history.map((h) => ({ at: h.at, value: h.score })) }],
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
