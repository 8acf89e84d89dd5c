import { sketchCount } from "../core/sketch";
import { dayKey } from "../core/state";
import { isoTime } from "../core/time";
import type { CustomerDetail } from "../store/dashboard";
import { barChart, lineChart, palette, type Chart } from "./charts";

const DAY = 86_400_000;

export function customerCharts(c: CustomerDetail, now: number): { history: Chart; components: Chart; usage: Chart } {
  const components = (c.health?.components ?? {}) as Record<string, number | null>;
  const days = Array.from({ length: 30 }, (_, i) => dayKey(now - (29 - i) * DAY));
  return {
    history: lineChart({
      id: "score-history",
      title: "Score history",
      desc: `Health score of ${c.name ?? c.id} at the close of each day it changed (UTC, in event time: when the facts happened).`,
      labels: c.history.map((h) => isoTime(h.at)?.slice(5, 10) ?? String(h.at)),
      lines: [{ name: "Score", color: palette.blue, values: c.history.map((h) => h.score) }],
      min: 0,
      max: 100,
    }),
    components: barChart({
      id: "components",
      title: "Score components",
      desc: "Each component of the health score, 0–100; components without data are left out.",
      bars: Object.entries(components)
        .filter((e): e is [string, number] => e[1] !== null)
        .map(([name, v]) => ({ label: name, value: v, color: v >= 75 ? palette.green : v >= 50 ? palette.yellow : palette.red })),
      max: 100,
    }),
    usage: barChart({
      id: "usage",
      title: "Active users per day (30 days)",
      desc: "Distinct users with tracked product usage on each of the last 30 days (UTC).",
      bars: days.map((d) => ({ label: d.slice(5), value: sketchCount(c.state.usage.days[d]?.u), color: palette.teal })),
    }),
  };
}
