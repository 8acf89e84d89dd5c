export interface ScorePoint {
  at: number;
  score: number;
}

export interface Trend {
  /** Score now minus the score as of 7 days ago; null when either is unknown. */
  d7: number | null;
  d30: number | null;
}

const DAY = 86_400_000;

/**
 * Change in score over 7 and 30 days. A score holds until the next point, so "the score as of t" is
 * the latest point at or before t; points after `now` are ignored.
 */
export function trend(history: readonly ScorePoint[], now: number): Trend {
  const current = scoreAsOf(history, now);
  const change = (days: number): number | null => {
    const past = scoreAsOf(history, now - days * DAY);
    return current === null || past === null ? null : Math.round((current - past) * 10) / 10;
  };
  return { d7: change(7), d30: change(30) };
}

export function scoreAsOf(history: readonly ScorePoint[], at: number): number | null {
  let best: ScorePoint | null = null;
  for (const p of history) {
    if (p.at > at) continue;
    // On equal times the later entry wins, matching append order.
    if (best === null || p.at >= best.at) best = p;
  }
  return best?.score ?? null;
}
