import { componentNames, type ComponentName } from "./health";
import { DAY } from "./state";

/**
 * Calibration samples from the event-time timeline, and the time-ordered split that keeps evaluation honest:
 * a model is fitted on snapshots whose outcome was known before the cutoff and evaluated on snapshots taken
 * after it, so no evaluation row shares a moment (or an outcome window) with the fit.
 */

export interface CalibrationHistory {
  customerId: string;
  /** Timeline points (a day's close where the score changed), oldest first; a value holds until the next point. */
  points: { at: number; score: number; components: Partial<Record<ComponentName, number | null>> }[];
  churnedAt: number | null;
}

export interface CalibrationRow {
  customerId: string;
  at: number;
  /** The score the model in force gave at `at`. */
  score: number;
  /** Component scores 0..100 in componentNames order; null where the component had no data. */
  components: (number | null)[];
  churned: boolean;
}

/** The latest point at or before `at`, or null. */
function pointAt<T extends { at: number }>(points: readonly T[], at: number): T | null {
  let lo = 0;
  let hi = points.length - 1;
  let found: T | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.at <= at) {
      found = points[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * A row every `stepDays` from each customer's first point until churn: churned when churn follows within the
 * horizon; left out (censored) when the horizon is not yet observed by `until`.
 */
export function buildRows(histories: readonly CalibrationHistory[], opts: { horizonDays: number; stepDays: number; until: number }): { rows: CalibrationRow[]; censored: number } {
  const horizon = opts.horizonDays * DAY;
  const rows: CalibrationRow[] = [];
  let censored = 0;
  for (const h of histories) {
    const first = h.points[0];
    if (!first) continue;
    for (let at = first.at; at <= opts.until; at += opts.stepDays * DAY) {
      if (h.churnedAt !== null && h.churnedAt <= at) break;
      const churned = h.churnedAt !== null && h.churnedAt <= at + horizon;
      if (!churned && at + horizon > opts.until) {
        censored++;
        continue;
      }
      const now = pointAt(h.points, at)!;
      rows.push({
        customerId: h.customerId,
        at,
        score: now.score,
        components: componentNames.map((c) => now.components[c] ?? null),
        churned,
      });
    }
  }
  return { rows, censored };
}

/**
 * Cuts at the time by which `fitShare` of the rows were taken. Fit rows are those whose whole outcome window
 * ended by the cutoff (`at + horizon <= cutoff`); evaluation rows were taken at or after it. Rows in between
 * (outcome window straddling the cutoff) are in neither.
 */
export function timeSplit(rows: readonly CalibrationRow[], horizonDays: number, fitShare = 0.7): { cutoff: number; fit: CalibrationRow[]; evaluation: CalibrationRow[] } {
  if (rows.length === 0) return { cutoff: 0, fit: [], evaluation: [] };
  const times = rows.map((r) => r.at).sort((a, b) => a - b);
  const cutoff = times[Math.min(times.length - 1, Math.floor(times.length * fitShare))]!;
  const horizon = horizonDays * DAY;
  return {
    cutoff,
    fit: rows.filter((r) => r.at + horizon <= cutoff),
    evaluation: rows.filter((r) => r.at >= cutoff),
  };
}
