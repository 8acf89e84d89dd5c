import type { Metric } from "./types";

/**
 * The sample behind each rate: which detail field of the metric counts it, and what it counts. A rate is
 * shown with its n ("NPS 40 (n=12)"), and one measured on fewer than its minimum is marked tentative.
 */
export const samples = {
  nps: { field: "responses", what: "responses", min: 10 },
  csat: { field: "responses", what: "responses", min: 10 },
  retention: { field: "start", what: "paying at start", min: 5 },
  logoChurn: { field: "start", what: "paying at start", min: 5 },
  revenueChurn: { field: "start", what: "paying at start", min: 5 },
  netRevenueRetention: { field: "start", what: "paying at start", min: 5 },
  loyaltyEnrollment: { field: "paying", what: "paying", min: 5 },
  referralRate: { field: "new", what: "new customers", min: 5 },
  onboardingCompletion: { field: "cohort", what: "new customers", min: 5 },
  timeToFirstValue: { field: "customers", what: "customers", min: 5 },
} as const;

export type SampledMetric = keyof typeof samples;

export interface Sample {
  n: number;
  what: string;
  tentative: boolean;
}

export function sampleOf(name: string, m: Metric<unknown>): Sample | null {
  const spec = (samples as Record<string, (typeof samples)[SampledMetric]>)[name];
  if (!spec) return null;
  const n = m[spec.field];
  return typeof n === "number" ? { n, what: spec.what, tentative: n < spec.min } : null;
}

/** n of every sampled metric in a set, for the series behind trend charts. */
export function sampleSizes(ms: Record<string, Metric<unknown>>): Partial<Record<SampledMetric, number>> {
  const out: Partial<Record<SampledMetric, number>> = {};
  for (const name of Object.keys(samples) as SampledMetric[]) {
    const s = ms[name] ? sampleOf(name, ms[name]!) : null;
    if (s) out[name] = s.n;
  }
  return out;
}
