import { z } from "zod";
import { normalizedEventSchema, timeSchema, type NormalizedEvent } from "./events";

/**
 * The span of plausible times. Anything outside it is a unit mix-up (seconds for ms, or ms for seconds)
 * or a broken clock, and would poison usage, scores and every page that shows the customer.
 */
export const EARLIEST_TIME = Date.UTC(2000, 0, 1);
export const LATEST_TIME = Date.UTC(2100, 0, 1);
export const HOUR = 3_600_000;

/** ISO 8601 for a time a Date can hold; undefined for null, NaN, ±Infinity or beyond ±8.64e15 ms. */
export function isoTime(ms: unknown): string | undefined {
  if (typeof ms !== "number") return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A time for a message: ISO when a Date can hold it, the raw value otherwise. */
export function describeTime(ms: number): string {
  return isoTime(ms) ?? String(ms);
}

export function isPlausibleTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EARLIEST_TIME && ms < LATEST_TIME;
}

export interface TimeProblem {
  /** The field of the normalized event, e.g. "occurredAt" or "currentPeriodEnd". */
  path: string;
  value: number;
  message: string;
}

function unwrap(s: z.ZodType): z.ZodType {
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}

/** Every field declared with timeSchema, per event type: a new time field is checked without being listed. */
export const timeFields: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  normalizedEventSchema.options.map((o) => [
    o.shape.type.value,
    Object.entries(o.shape as Record<string, z.ZodType>)
      .filter(([, s]) => unwrap(s) === timeSchema)
      .map(([k]) => k),
  ]),
);

/**
 * The times of `ev` Tenure must refuse: any outside EARLIEST_TIME..LATEST_TIME, and an `occurredAt` more than
 * `maxFutureMs` after `now` (when it was received). Other fields (period ends, trial ends, scheduled
 * cancellations, close dates) are legitimately in the future and get only the range check.
 */
export function timeProblems(ev: NormalizedEvent, now: number, maxFutureMs: number): TimeProblem[] {
  const problems: TimeProblem[] = [];
  const fields = ev as unknown as Record<string, unknown>;
  for (const path of timeFields[ev.type] ?? []) {
    const value = fields[path];
    if (typeof value !== "number") continue;
    if (!isPlausibleTime(value)) {
      problems.push({ path, value, message: `${describeTime(value)} is outside ${isoDate(EARLIEST_TIME)}..${isoDate(LATEST_TIME)}` });
    } else if (path === "occurredAt" && value - now > maxFutureMs) {
      const hours = Math.round((maxFutureMs / HOUR) * 100) / 100;
      problems.push({ path, value, message: `${describeTime(value)} is more than ${hours} ${hours === 1 ? "hour" : "hours"} after the event was received (${describeTime(now)})` });
    }
  }
  return problems;
}

const isoDate = (ms: number) => describeTime(ms).slice(0, 10);
