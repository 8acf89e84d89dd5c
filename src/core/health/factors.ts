import { isoTime, isPlausibleTime } from "../time";

/** One reason a component sits away from its neutral baseline, in that component's own 0..100 points. */
export interface Factor {
  factor: string;
  delta: number;
  detail: string;
}

export interface ComponentResult {
  /** 0..100, or null when there is no data for this component. */
  score: number | null;
  factors: Factor[];
}

export const DAY = 86_400_000;

export const noData: ComponentResult = { score: null, factors: [] };

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/**
 * Baseline plus factor deltas, clamped to 0..100. When clamping cuts the sum, every delta is scaled by
 * the same ratio so the factors still add up to the distance from the baseline (drivers stay honest).
 */
export function settle(baseline: number, factors: Factor[]): ComponentResult {
  const live = factors.filter((f) => f.delta !== 0 && Number.isFinite(f.delta));
  const raw = live.reduce((sum, f) => sum + f.delta, 0);
  const score = clamp(baseline + raw, 0, 100);
  const ratio = raw === 0 ? 0 : (score - baseline) / raw;
  return { score, factors: live.map((f) => ({ ...f, delta: f.delta * ratio })) };
}

export function daysBetween(from: number, to: number): number {
  return Math.max(0, Math.floor((to - from) / DAY));
}

export function ago(at: number, now: number): string {
  const d = daysBetween(at, now);
  if (d === 0) return "today";
  return d === 1 ? "1 day ago" : `${d} days ago`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function times(n: number): string {
  if (n === 1) return "once";
  if (n === 2) return "twice";
  return `${n} times`;
}

/** The UTC day of a time; the raw number when no Date can hold it (a stored time must never make scoring throw). */
export function isoDay(ms: number): string {
  return isoTime(ms)?.slice(0, 10) ?? String(ms);
}

/**
 * HubSpot sends timestamps as ms strings or ISO strings (dates as YYYY-MM-DD); anything else, or a time
 * outside 2000–2100 (a renewal date typed in seconds, a year 9999), is no value.
 */
export function parseCrmTime(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value.trim() === "") return null;
  const v = value.trim();
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return isPlausibleTime(n) ? n : null;
}
