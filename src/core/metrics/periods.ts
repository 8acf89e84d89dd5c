import { DAY, type Period, type Window } from "./types";

/** Calendar months, ISO weeks (Monday, UTC) or UTC days overlapping the window, each clipped to it. */
export function buckets(w: Window, period: Period): Window[] {
  const out: Window[] = [];
  let start = periodStart(w.from, period);
  while (start < w.to) {
    const end = nextStart(start, period);
    out.push({ from: Math.max(start, w.from), to: Math.min(end, w.to) });
    start = end;
  }
  return out;
}

export function periodStart(t: number, period: Period): number {
  const d = new Date(t);
  if (period === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === "day") return day;
  return day - ((d.getUTCDay() + 6) % 7) * DAY;
}

function nextStart(start: number, period: Period): number {
  if (period === "day") return start + DAY;
  if (period === "week") return start + 7 * DAY;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** "2026-11" for a month, "2026-11-16" (its Monday) for a week, "2026-11-18" for a day. */
export function periodLabel(t: number, period: Period): string {
  const iso = new Date(periodStart(t, period)).toISOString();
  return period === "month" ? iso.slice(0, 7) : iso.slice(0, 10);
}
