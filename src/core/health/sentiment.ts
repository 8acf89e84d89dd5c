import type { CustomerState } from "../state";
import { DAY, type ComponentResult, type Factor, ago, noData, plural, settle } from "./factors";
import type { HealthModel } from "./model";

type Params = HealthModel["sentiment"];

/** Neutral baseline: a passive respondent. */
const BASELINE = 70;

/** What the customer says: the latest NPS answer, repeated detractors, and the latest support or CSAT rating. */
export function scoreSentiment(state: CustomerState, now: number, p: Params): ComponentResult {
  const responses = Object.entries(state.sentiment.responses)
    .filter(([, r]) => r.kind === undefined || r.kind === "nps")
    .map(([id, r]) => ({ id, ...r }))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
  const newestRating = state.support.latestCsat;
  const ticketRatings = newestRating
    ? [newestRating]
    : [
        ...Object.values(state.support.tickets).flatMap((t) => (t.csat ? [t.csat] : [])),
        ...Object.values(state.support.closed ?? {}).flatMap(([, , , value, at]) => (value !== null && at !== null ? [{ value, at, by: "" }] : [])),
      ];
  // A CSAT survey answer (Delighted, Typeform) is a rating too, on 0..100 like a ticket's.
  const surveyRatings = Object.values(state.sentiment.responses).flatMap((r) => (r.kind === "csat" && r.scale ? [{ value: csatPercent(r.score, r.scale), at: r.at, by: r.by, survey: true }] : []));
  const ratings: { value: number; at: number; by: string; survey?: boolean }[] = [...ticketRatings, ...surveyRatings].sort((a, b) => b.at - a.at || (a.by < b.by ? 1 : -1));
  if (responses.length === 0 && ratings.length === 0) return noData;
  const factors: Factor[] = [];
  const latest = responses[0];
  if (latest) factors.push(npsFactor(latest, now, p));
  const detractors = responses.filter((r) => r.score <= 6 && r.at >= now - p.repeatDetractorWindowDays * DAY).length;
  if (detractors >= 2) {
    factors.push({
      factor: "sentiment.repeat_detractor",
      delta: -p.repeatDetractorPenalty,
      detail: `${plural(detractors, "detractor response")} in the last ${p.repeatDetractorWindowDays} days`,
    });
  }
  const rating = ratings[0];
  if (rating) {
    factors.push({
      factor: "sentiment.csat",
      delta: (rating.value - p.csatNeutral) * 0.25,
      detail: `latest ${rating.survey ? "CSAT survey" : "support"} rating ${Math.round(rating.value)}/100, ${ago(rating.at, now)}`,
    });
  }
  return settle(BASELINE, factors);
}

/** An answer on its scale as 0..100 (the scale's lowest = 0, highest = 100). */
export function csatPercent(score: number, scale: { min: number; max: number }): number {
  return ((score - scale.min) / (scale.max - scale.min)) * 100;
}

function npsFactor(r: { score: number; at: number; comment?: string }, now: number, p: Params): Factor {
  const stale = r.at < now - p.staleAfterDays * DAY;
  const damp = stale ? 0.5 : 1;
  const when = ago(r.at, now);
  const comment = r.comment ? `: "${truncate(r.comment, 80)}"` : "";
  if (r.score >= 9) {
    return { factor: "sentiment.promoter", delta: p.promoterBonus * damp, detail: `NPS ${r.score} (promoter), ${when}${comment}` };
  }
  if (r.score >= 7) {
    return { factor: "sentiment.passive", delta: 0, detail: `NPS ${r.score} (passive), ${when}` };
  }
  return {
    factor: "sentiment.detractor",
    delta: -(p.detractorPenalty + (6 - r.score) * 3) * damp,
    detail: `NPS ${r.score} (detractor), ${when}${comment}`,
  };
}

function truncate(s: string, n: number): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length <= n ? flat : `${flat.slice(0, n - 1)}…`;
}
