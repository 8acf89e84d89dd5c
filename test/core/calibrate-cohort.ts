import type { CalibrationHistory } from "../../src/core/calibrate";
import { scoreWith } from "../../src/core/calibrate";
import { defaultHealthModel } from "../../src/core/health";

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
      points.push({ at, score, components });
    }
    const churnedAt = churnWeek === null ? null : T0 + churnWeek * 7 * DAY + 3 * DAY;
    out.push({ customerId, points, churnedAt });
    truth.health.set(customerId, health);
    truth.fadeFrom.set(customerId, churnWeek === null ? null : T0 + (churnWeek - FADE_WEEKS) * 7 * DAY);
  }
  return { histories: out, truth };
}
