import type { CalibrationHistory } from "../../src/core/calibrate";
import { scoreWith } from "../../src/core/calibrate";
import { defaultHealthModel } from "../../src/core/health";
import { npsRecencyResult, ticketTrendResult, urgentShareResult, usageTrendResult } from "../../src/core/health/trends";

export const DAY = 86_400_000;
export const T0 = Date.UTC(2025, 0, 6);

/** A seeded generator (mulberry32): the same seed gives the same cohort. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (x: number) => Math.max(0, Math.min(100, Math.round(x)));

export interface CohortOptions {
  /** Weekly churn hazard of an average customer. */
  hazard?: number;
  /**
   * Signals that look like risk and are not: quiet small teams (low usage, no more churn), holiday dips (usage
   * falls for everyone over the new year), onboarding ticket bursts (support falls in a customer's first weeks).
   */
  confounders?: boolean;
}

/** The generator's own view of each customer: latent health, and when its pre-churn fade began. */
export interface CohortTruth {
  health: Map<string, number>;
  fadeFrom: Map<string, number | null>;
}

const FADE_WEEKS = 8;

/**
 * Weekly timelines of `n` customers over `weeks` weeks. A latent health drives usage strongly and billing
 * weakly; support is noise; churners' usage (and support) fades in the weeks before they leave. Scores are the
 * default model's.
 */
export function cohort(seed: number, n: number, weeks: number, hazard = 0.012): CalibrationHistory[] {
  return cohortWithTruth(seed, n, weeks, { hazard }).histories;
}

export function cohortWithTruth(seed: number, n: number, weeks: number, opts: CohortOptions = {}): { histories: CalibrationHistory[]; truth: CohortTruth } {
  const hazard = opts.hazard ?? 0.012;
  const r = rng(seed);
  // The trend components' own draws (tickets) come from a second stream, so the base cohort stays as it was.
  const r2 = rng(seed ^ 0x5eed);
  const poisson = (mean: number) => {
    let k = 0;
    for (let p = Math.exp(-mean), u = r2(); u > p; u -= p, p *= mean / ++k);
    return k;
  };
  const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const out: CalibrationHistory[] = [];
  const truth: CohortTruth = { health: new Map(), fadeFrom: new Map() };
  for (let i = 0; i < n; i++) {
    const customerId = `c${String(i).padStart(4, "0")}`;
    const health = normal();
    const small = opts.confounders === true && r() < 0.25;
    const start = Math.floor(r() * 8);
    let churnWeek: number | null = null;
    for (let w = start + 4; w < weeks && churnWeek === null; w++) {
      const p = hazard * Math.exp(-1.4 * health);
      if (r() < p) churnWeek = w;
    }
    const points: CalibrationHistory["points"] = [];
    const usageByWeek: number[] = [];
    const tickets: { week: number; urgent: boolean }[] = [];
    let lastAnswer: number | null = null;
    for (let w = start; w < weeks; w++) {
      const at = T0 + w * 7 * DAY + DAY - 1;
      if (churnWeek !== null && w >= churnWeek) break;
      const fading = churnWeek !== null && churnWeek - w <= FADE_WEEKS ? (FADE_WEEKS - (churnWeek - w)) * 4 : 0;
      const d = new Date(at);
      const holiday = opts.confounders === true && ((d.getUTCMonth() === 11 && d.getUTCDate() >= 18) || (d.getUTCMonth() === 0 && d.getUTCDate() <= 7));
      const onboarding = opts.confounders === true && w - start < 6;
      const components = {
        billing: clamp(90 + 5 * health + 4 * normal()),
        support: clamp(70 + 15 * normal() - (opts.confounders ? fading / 2 : 0) - (onboarding ? 30 : 0)),
        usage: clamp(60 + 15 * health - fading + 8 * normal() - (small ? 20 : 0) - (holiday ? 25 : 0)),
        sentiment: r() < 0.3 ? clamp(70 + 10 * normal()) : null,
        relationship: clamp(70 + 5 * normal()),
      };
      const score = scoreWith(defaultHealthModel.weights, [components.billing, components.support, components.usage, components.sentiment, components.relationship]);
      // Trend components by the scorer's own formulas, from this generator's weekly series: a week's usage score
      // stands for its active user-days, a low support score brings tickets, a sentiment point is an NPS answer.
      usageByWeek.push(components.usage);
      for (let k = poisson(Math.max(0, (90 - components.support) / 25)); k > 0; k--) tickets.push({ week: w, urgent: r2() < 0.2 });
      if (components.sentiment !== null) lastAnswer = at;
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const opened = (from: number, to: number) => tickets.filter((t) => t.week > w - to && t.week <= w - from);
      const trends = {
        usageTrend: usageTrendResult(sum(usageByWeek.slice(-4)), usageByWeek.length >= 8 ? sum(usageByWeek.slice(-8, -4)) : 0).score,
        usageRecency: null,
        ticketTrend: tickets.length ? ticketTrendResult(opened(0, 4).length, opened(4, 17).length / 3).score : null,
        urgentShare: urgentShareResult(opened(0, 13).filter((t) => t.urgent).length, opened(0, 13).length).score,
        npsRecency: npsRecencyResult(lastAnswer, at).score,
      };
      points.push({ at, score, components: { ...components, ...roundAll(trends) } });
    }
    const churnedAt = churnWeek === null ? null : T0 + churnWeek * 7 * DAY + 3 * DAY;
    out.push({ customerId, points, churnedAt });
    truth.health.set(customerId, health);
    truth.fadeFrom.set(customerId, churnWeek === null ? null : T0 + (churnWeek - FADE_WEEKS) * 7 * DAY);
  }
  return { histories: out, truth };
}

function roundAll<T extends Record<string, number | null>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? null : Math.round(v)])) as T;
}
