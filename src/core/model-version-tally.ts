import type { BacktestResult, ScoreHistory } from "./backtest";
import { bandFor, type Band, type HealthModel } from "./health";
import type { PreviewRow } from "./model-version-preview";

/**
 * A preview folded page by page: band moves, the biggest movers, and each model's backtest as counts per
 * integer score (retained, churned), from which the AUC is exact (scores are whole numbers, ties count half).
 * So a preview of any size is a chain of bounded pages whose running total fits one small row.
 */

const DAY = 86_400_000;

export interface ScoreTally {
  /** Index = score 0..100: [retained, churned] samples. */
  hist: [number, number][];
  censored: number;
}

export interface PreviewTally {
  customers: number;
  scored: number;
  moved: number;
  byBand: Record<string, number>;
  moves: PreviewRow[];
  backtest: { active: ScoreTally; candidate: ScoreTally };
}

const BANDS: Band[] = ["green", "yellow", "red"];

export function emptyScoreTally(): ScoreTally {
  return { hist: Array.from({ length: 101 }, () => [0, 0] as [number, number]), censored: 0 };
}

export function emptyPreviewTally(): PreviewTally {
  const byBand: Record<string, number> = {};
  for (const a of BANDS) for (const b of BANDS) byBand[`${a}->${b}`] = 0;
  return { customers: 0, scored: 0, moved: 0, byBand, moves: [], backtest: { active: emptyScoreTally(), candidate: emptyScoreTally() } };
}

/** The backtest's labelling (src/core/backtest.ts), counted instead of listed. */
export function tallyHistories(t: ScoreTally, histories: readonly ScoreHistory[], horizonDays: number, observedUntil: number): void {
  const horizon = horizonDays * DAY;
  for (const h of histories) {
    for (const p of h.points) {
      if (h.churnedAt !== null && h.churnedAt <= p.at) continue;
      const churned = h.churnedAt !== null && h.churnedAt <= p.at + horizon;
      if (!churned && p.at + horizon > observedUntil) {
        t.censored++;
        continue;
      }
      const score = Math.max(0, Math.min(100, Math.round(p.score)));
      t.hist[score]![churned ? 1 : 0]++;
    }
  }
}

/** What `backtest` reports, from the counts. */
export function scoreTallyResult(t: ScoreTally, bands: HealthModel["bands"]): BacktestResult {
  const by: Record<Band, { n: number; churned: number }> = { green: { n: 0, churned: 0 }, yellow: { n: 0, churned: 0 }, red: { n: 0, churned: 0 } };
  let pos = 0;
  let neg = 0;
  t.hist.forEach(([retained, churned], score) => {
    const b = by[bandFor(score, bands)];
    b.n += retained + churned;
    b.churned += churned;
    pos += churned;
    neg += retained;
  });
  // Mann–Whitney from the counts: a churner below a retained customer counts 1, the same score a half.
  let below = 0;
  let negSeen = 0;
  for (const [retained, churned] of t.hist) {
    below += churned * (neg - negSeen - retained) + churned * retained * 0.5;
    negSeen += retained;
  }
  const rate = (b: Band) => (by[b].n === 0 ? null : by[b].churned / by[b].n);
  return {
    auc: pos === 0 || neg === 0 ? null : below / (pos * neg),
    churnRateByBand: { green: rate("green"), yellow: rate("yellow"), red: rate("red") },
    samplesByBand: { green: by.green.n, yellow: by.yellow.n, red: by.red.n },
    samples: pos + neg,
    churned: pos,
    censored: t.censored,
  };
}

/** Adds a page of preview rows: counts every row, keeps the `limit` biggest movers seen so far. */
export function tallyRows(t: PreviewTally, rows: readonly PreviewRow[], customers: number, limit: number): void {
  t.customers += customers;
  t.scored += rows.length;
  for (const r of rows) t.byBand[`${r.active.band}->${r.candidate.band}`] = (t.byBand[`${r.active.band}->${r.candidate.band}`] ?? 0) + 1;
  const movers = rows.filter((r) => r.active.band !== r.candidate.band);
  t.moved += movers.length;
  const delta = (r: PreviewRow) => Math.abs(r.candidate.score - r.active.score);
  t.moves = [...t.moves, ...movers].sort((x, y) => delta(y) - delta(x) || (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : 0)).slice(0, limit);
}
