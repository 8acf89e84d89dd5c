/**
 * The time axis of a chart: pure, so a test can show that its labels never overlap or leave the picture,
 * and that the axis spans exactly the window the reader chose. A window up to a month is labelled by day
 * ("Nov 6"), up to four months by week (Mondays), longer by month ("Nov", "Jan 2027").
 */

export const DAY = 86_400_000;

export interface TimeWindow {
  from: number;
  to: number;
}

export type Grain = "day" | "week" | "month";

export interface TimeTick {
  at: number;
  x: number;
  label: string;
}

/** The windows a reader can choose, in days. */
export const WINDOW_DAYS = [7, 30, 90, 365] as const;

/** Tick labels are 11px system-ui text: this is a generous average glyph width, so estimates err wide. */
export const CHAR_PX = 7;
/** Clear space between two labels. */
export const LABEL_GAP = 8;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function grainOf(w: TimeWindow): Grain {
  const days = (w.to - w.from) / DAY;
  return days <= 31 ? "day" : days <= 120 ? "week" : "month";
}

export const labelWidth = (label: string) => label.length * CHAR_PX;

/** "Nov 6" for a day or week; "Nov" for a month, "Jan 2027" in January (or on a first tick that needs the year). */
export function tickLabel(at: number, grain: Grain, first = false): string {
  const d = new Date(at);
  const month = MONTHS[d.getUTCMonth()]!;
  if (grain !== "month") return `${month} ${d.getUTCDate()}`;
  return first || d.getUTCMonth() === 0 ? `${month} ${d.getUTCFullYear()}` : month;
}

/** A UTC day as "2026-11-06", for tables and tooltips. */
export const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/** Maps the window onto [x0, x1]: `from` is x0 and `to` is x1, whatever the data. */
export function timeScale(w: TimeWindow, x0: number, x1: number): (t: number) => number {
  const span = Math.max(1, w.to - w.from);
  return (t) => x0 + ((t - w.from) / span) * (x1 - x0);
}

const dayIndex = (t: number) => Math.floor(t / DAY);
const monthIndex = (t: number) => {
  const d = new Date(t);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

/** Tick instants of one grain and step inside the window, aligned so that they do not move as time passes. */
export function tickTimes(w: TimeWindow, grain: Grain, step: number): number[] {
  const out: number[] = [];
  if (grain === "month") {
    for (let m = monthIndex(w.from); ; m++) {
      const t = Date.UTC(Math.floor(m / 12), m % 12, 1);
      if (t > w.to) break;
      if (t >= w.from && m % step === 0) out.push(t);
    }
    return out;
  }
  const days = grain === "week" ? 7 * step : step;
  // Epoch day 4 (1970-01-05) is a Monday: week ticks fall on Mondays.
  const offset = grain === "week" || step === 7 || step === 14 ? 4 : 0;
  for (let d = dayIndex(w.from); d * DAY <= w.to; d++) {
    if (d * DAY >= w.from && (((d - offset) % days) + days) % days === 0) out.push(d * DAY);
  }
  return out;
}

const STEPS: Record<Grain, number[]> = { day: [1, 2, 3, 7, 14], week: [1, 2, 4, 8], month: [1, 2, 3, 6, 12, 24] };

/** Keeps the labels that stay inside [0, width], then says whether neighbours keep LABEL_GAP between them. */
function place(times: number[], grain: Grain, x: (t: number) => number, width: number): TimeTick[] | null {
  // The year goes on January; on the first tick only when no January is shown to carry it.
  const january = times.some((at) => new Date(at).getUTCMonth() === 0);
  const ticks = times
    .map((at, i) => ({ at, x: x(at), label: tickLabel(at, grain, i === 0 && !january) }))
    .filter((t) => t.x - labelWidth(t.label) / 2 >= 0 && t.x + labelWidth(t.label) / 2 <= width);
  for (let i = 1; i < ticks.length; i++) {
    const a = ticks[i - 1]!;
    const b = ticks[i]!;
    if (b.x - labelWidth(b.label) / 2 - (a.x + labelWidth(a.label) / 2) < LABEL_GAP) return null;
  }
  return ticks;
}

/**
 * The densest ticks whose labels fit: the grain comes from the window's length, the step is the smallest
 * that keeps labels apart at this width. The plot spans [x0, x1] inside a picture `width` wide.
 */
export function timeAxis(w: TimeWindow, x0: number, x1: number, width: number): { grain: Grain; step: number; ticks: TimeTick[] } {
  const grain = grainOf(w);
  const x = timeScale(w, x0, x1);
  for (const step of STEPS[grain]) {
    const ticks = place(tickTimes(w, grain, step), grain, x, width);
    if (ticks) return { grain, step, ticks };
  }
  // Narrower than any step allows: the tick nearest the middle alone.
  const times = tickTimes(w, grain, 1);
  const mid = times.reduce((best, t) => (Math.abs(t - (w.from + w.to) / 2) < Math.abs(best - (w.from + w.to) / 2) ? t : best), times[0] ?? w.from);
  return { grain, step: 0, ticks: place([mid], grain, x, width) ?? [] };
}

/** The last `days` days up to `now`, as whole UTC days: [start of the day `days − 1` back, end of today). */
export function lastDays(days: number, now: number): TimeWindow {
  const end = (dayIndex(now) + 1) * DAY;
  return { from: end - days * DAY, to: end };
}
