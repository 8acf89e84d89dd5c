import { stateAsOf } from "./as-of";
import type { TenureConfig } from "./config";
import type { Band } from "./health";
import type { Stage } from "./lifecycle";
import { scoreCustomer } from "./snapshot";
import { type CustomerState, DAY, dayKey } from "./state";

export { DAY };

/**
 * The event-time timeline: a customer's score, band and stage at the close of each UTC day, computed from
 * the facts that had happened by then (however late they arrived). Stored only where it changes from the
 * day before, plus the first day of every recomputed range, so a flat score costs nothing.
 */
export interface TimelinePoint {
  /** The close of the day: 23:59:59.999 UTC. */
  at: number;
  score: number;
  band: Band;
  stage: Stage;
  components: Record<string, number | null>;
  modelVersion: string;
}

export interface StageChange {
  at: number;
  from: Stage | null;
  to: Stage;
}

/** The most days one step recomputes; the rest of a longer range continues as its own job. */
export const TIMELINE_DAYS_PER_STEP = 62;

export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);
export const dayClose = (day: string): number => dayStart(day) + DAY - 1;
export const addDays = (day: string, n: number): string => dayKey(dayStart(day) + n * DAY);

export function daysBetween(from: string, to: string): number {
  return Math.round((dayStart(to) - dayStart(from)) / DAY);
}

/**
 * Which days a step must recompute: from the earliest day its facts touch (or the day after the timeline
 * was last computed through) to `toDay`, at most TIMELINE_DAYS_PER_STEP of them (the newest; the older part
 * is returned as `deferred`). Null when there is nothing to do.
 */
export function timelineRange(opts: {
  firstSeenAt: number | undefined;
  through: string | null;
  earliestFact: number | null;
  toDay: string;
}): { from: string; to: string; deferred: { from: string; to: string } | null } | null {
  if (opts.firstSeenAt === undefined) return null;
  const first = dayKey(opts.firstSeenAt);
  let from = opts.through === null ? first : addDays(opts.through, 1);
  if (opts.earliestFact !== null) from = minDay(from, dayKey(opts.earliestFact));
  from = maxDay(from, first);
  const to = opts.toDay;
  if (from > to) return null;
  if (daysBetween(from, to) < TIMELINE_DAYS_PER_STEP) return { from, to, deferred: null };
  const start = addDays(to, -(TIMELINE_DAYS_PER_STEP - 1));
  return { from: start, to, deferred: { from, to: addDays(start, -1) } };
}

/** The stored point before a range: what its first day is compared with. */
export interface PreviousPoint {
  band: Band;
  stage: Stage;
  score?: number;
  modelVersion?: string;
}

/**
 * Scores each day of [from, to] as the facts stood at its close (today: as of `now`). Returns the points
 * to store and the stage changes between consecutive days. A point is stored where the score, band or stage
 * changes from the day before. The first day is stored as well (an anchor) unless `continues`: the range
 * starts the day after the last computed one, so `previous` is final and a day equal to it adds nothing. A
 * range that starts earlier (late facts) or leaves older days to a job must anchor its first day, since the
 * days before it may still change.
 */
export function buildTimeline(
  state: CustomerState,
  cfg: TenureConfig,
  range: { from: string; to: string },
  now: number,
  previous: PreviousPoint | null,
  continues = false,
): { points: TimelinePoint[]; stages: StageChange[]; last: TimelinePoint | null } {
  const points: TimelinePoint[] = [];
  const stages: StageChange[] = [];
  let prev: TimelinePoint | null = null;
  const stored = continues && previous?.score !== undefined ? previous : null;
  let prevBand = previous?.band;
  let prevStage: Stage | null = previous?.stage ?? null;
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) {
    const close = dayClose(day);
    const at = Math.min(close, now);
    const scored = scoreCustomer(stateAsOf(state, at), at, cfg, prevBand, { d7: null, d30: null });
    const point: TimelinePoint = {
      at: close,
      score: scored.health.score,
      band: scored.health.band,
      stage: scored.stage.stage,
      components: scored.health.components,
      modelVersion: scored.health.modelVersion,
    };
    const before = prev ?? stored;
    if (before === null || before.score !== point.score || before.band !== point.band || before.stage !== point.stage || before.modelVersion !== point.modelVersion) {
      points.push(point);
    }
    if (prevStage !== point.stage) {
      const since = scored.stage.since;
      const openedAt = dayStart(day);
      stages.push({ at: since !== null && since >= openedAt && since <= close ? since : openedAt, from: prevStage, to: point.stage });
    }
    prev = point;
    prevBand = point.band;
    prevStage = point.stage;
  }
  return { points, stages, last: prev };
}

export function minDay(a: string, b: string): string {
  return a < b ? a : b;
}

export function maxDay(a: string, b: string): string {
  return a > b ? a : b;
}
