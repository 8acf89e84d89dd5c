import { DAY, round, type Window } from "./types";

export interface ScorePoint {
  customerId: string;
  at: number;
  score: number;
}

export interface DailyScore {
  day: string;
  average: number;
  customers: number;
}

/**
 * The portfolio's mean score at the end of each UTC day in the window. A score holds until the next
 * point, so `rows` should include each customer's last point before the window. Days before any
 * customer was scored are left out.
 */
export function portfolioScoreByDay(rows: readonly ScorePoint[], w: Window): DailyScore[] {
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  const latest = new Map<string, number>();
  let sum = 0;
  let i = 0;
  const out: DailyScore[] = [];
  for (let day = Math.floor(w.from / DAY) * DAY; day < w.to; day += DAY) {
    // A timeline point stands for the close of its day, today's included.
    for (; i < sorted.length && sorted[i]!.at < day + DAY; i++) {
      const p = sorted[i]!;
      sum += p.score - (latest.get(p.customerId) ?? 0);
      latest.set(p.customerId, p.score);
    }
    if (latest.size > 0) out.push({ day: new Date(day).toISOString().slice(0, 10), average: round(sum / latest.size), customers: latest.size });
  }
  return out;
}
