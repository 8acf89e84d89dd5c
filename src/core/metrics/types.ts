import type { LifecycleConfig } from "../lifecycle";
import type { CustomerState } from "../state";

/** One customer as the metrics see it: its filter columns plus the reducer's state. */
export interface MetricCustomer {
  id: string;
  name: string | null;
  band: string | null;
  stage: string | null;
  /** Current MRR (minor units) from the customers table. */
  mrr: number;
  /** The currency of `mrr` (lowercase ISO 4217); null when unknown. */
  currency?: string | null;
  /** Segments on the latest health snapshot. */
  segments: string[];
  state: CustomerState;
}

export interface StageTransition {
  customerId: string;
  at: number;
  from: string | null;
  to: string;
}

/** Loyalty-program rows, normalized from whatever loyalty tables exist; null when they do not. */
export interface LoyaltyData {
  enrollments: { customerId: string; at: number }[];
  /** Positive points are earned, negative are redeemed. */
  ledger: { customerId: string; points: number; at: number }[];
  /** One row per referred customer; `at` is when the referral was attributed. */
  referrals: { referrerId: string; referredId: string; at: number; status: string }[];
}

export interface MetricsInput {
  customers: MetricCustomer[];
  transitions: StageTransition[];
  loyalty: LoyaltyData | null;
  lifecycle: LifecycleConfig;
  /** Share of revenue kept after cost of service, 0..1 (CLV). */
  grossMargin: number;
}

/** A half-open interval [from, to) in ms since epoch. */
export interface Window {
  from: number;
  to: number;
}

export type Period = "month" | "week" | "day";

export type Unit = "percent" | "count" | "minor_units" | "hours" | "points" | "nps" | "breakdown";

/** A value, its unit, and what it means; extra fields show the arithmetic (numerator, denominator...). */
export interface Metric<V = number | null> {
  value: V;
  unit: Unit;
  definition: string;
  [detail: string]: unknown;
}

export const DAY = 86_400_000;
/** A month, for normalizing a churn rate measured over any window. */
export const MONTH_MS = 30 * DAY;

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** 100 × part / whole, to one decimal; null when the whole is 0. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? round((part / whole) * 100) : null;
}

/** The currency a customer's amounts are in; "unknown" when no invoice or subscription said. */
export function currencyOf(c: Pick<MetricCustomer, "currency">): string {
  return c.currency ? c.currency.toLowerCase() : "unknown";
}

export function within(at: number, w: Window): boolean {
  return at >= w.from && at < w.to;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
