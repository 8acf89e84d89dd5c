import type { Band } from "./health";
import { bandFor } from "./health";
import type { HealthModel } from "./health/model";

export interface ScoreHistory {
  customerId: string;
  points: { at: number; score: number }[];
  churnedAt: number | null;
}

export interface BacktestResult {
  /** P(a churner's score < a non-churner's score), ties counting half; null without both kinds. */
  auc: number | null;
  churnRateByBand: Record<Band, number | null>;
  samplesByBand: Record<Band, number>;
  /** Scored points with a known outcome. */
  samples: number;
  churned: number;
  /** Points too recent to know whether churn followed within the horizon. */
  censored: number;
}

const DAY = 86_400_000;

/**
 * How well the score at each point predicted churn within `horizonDays`. A point counts when it is
 * before churn and its horizon is observed: it ends by `observedUntil` (default: the latest time in the
 * data) or churn happened inside it. Bands use the thresholds without hysteresis.
 */
export function backtest(
  histories: readonly ScoreHistory[],
  horizonDays: number,
  bands: HealthModel["bands"],
  opts: { observedUntil?: number } = {},
): BacktestResult {
  const horizon = horizonDays * DAY;
  const until = opts.observedUntil ?? latestTime(histories);
  const samples: { score: number; churned: boolean }[] = [];
  let censored = 0;
  for (const h of histories) {
    for (const p of h.points) {
      if (h.churnedAt !== null && h.churnedAt <= p.at) continue;
      const churned = h.churnedAt !== null && h.churnedAt <= p.at + horizon;
      if (!churned && p.at + horizon > until) {
        censored++;
        continue;
      }
      samples.push({ score: p.score, churned });
    }
  }
  const by: Record<Band, { n: number; churned: number }> = {
    green: { n: 0, churned: 0 },
    yellow: { n: 0, churned: 0 },
    red: { n: 0, churned: 0 },
  };
  for (const s of samples) {
    const b = by[bandFor(s.score, bands)];
    b.n++;
    if (s.churned) b.churned++;
  }
  const rate = (b: Band) => (by[b].n === 0 ? null : by[b].churned / by[b].n);
  return {
    auc: auc(samples),
    churnRateByBand: { green: rate("green"), yellow: rate("yellow"), red: rate("red") },
    samplesByBand: { green: by.green.n, yellow: by.yellow.n, red: by.red.n },
    samples: samples.length,
    churned: samples.filter((s) => s.churned).length,
    censored,
  };
}

/** Mann–Whitney rank statistic with average ranks for ties; lower scores should mean churn. */
export function auc(samples: readonly { score: number; churned: boolean }[]): number | null {
  const pos = samples.filter((s) => s.churned).length;
  const neg = samples.length - pos;
  if (pos === 0 || neg === 0) return null;
  const sorted = [...samples].sort((a, b) => a.score - b.score);
  let rankSumNeg = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (!sorted[k]!.churned) rankSumNeg += avgRank;
    i = j;
  }
  const u = rankSumNeg - (neg * (neg + 1)) / 2;
  return u / (pos * neg);
}

function latestTime(histories: readonly ScoreHistory[]): number {
  let t = -Infinity;
  for (const h of histories) {
    for (const p of h.points) t = Math.max(t, p.at);
    if (h.churnedAt !== null) t = Math.max(t, h.churnedAt);
  }
  return t;
}
