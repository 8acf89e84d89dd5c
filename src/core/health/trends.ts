import type { CustomerState } from "../state";
import { ticketViews } from "../tickets";
import { userDays } from "./usage";
import { DAY, type ComponentResult, ago, clamp, daysBetween, noData, plural, settle } from "./factors";

/**
 * Trend components: how the customer's own signals are moving, each 0..100 (lower is worse) with one driver
 * in the words the usage, support and sentiment drivers use. The default model weighs them 0, so they change
 * no default score; calibration learns from them (they are stored on the timeline with the other components)
 * and may give them weight. Each is computed from counts by a small pure function, so a generated cohort can
 * use the same formula.
 */

export const trendNames = ["usageTrend", "usageRecency", "ticketTrend", "urgentShare", "npsRecency"] as const;
export type TrendName = (typeof trendNames)[number];

/** Below this many active user-days in the previous 30, a change is noise: no trend. */
const MIN_PREVIOUS_USER_DAYS = 5;

/** Active user-days in the last 30 days against the 30 before. */
export function usageTrendResult(recent: number, previous: number): ComponentResult {
  if (previous < MIN_PREVIOUS_USER_DAYS) return noData;
  const change = (recent - previous) / previous;
  const pct = Math.round(Math.abs(change) * 100);
  return settle(70, [
    {
      factor: "trend.usage",
      delta: clamp(change * 60, -70, 25),
      detail: pct === 0 ? "active user-days flat on the previous 30 days" : `active user-days ${change < 0 ? "down" : "up"} ${pct}% on the previous 30 days`,
    },
  ]);
}

/** Days since the last product activity: 90 when active today, 0 after 45 idle days. */
export function usageRecencyResult(lastActiveAt: number | null, now: number): ComponentResult {
  if (lastActiveAt === null) return noData;
  const idle = daysBetween(lastActiveAt, now);
  const detail = idle <= 7 ? `last active ${ago(lastActiveAt, now)}` : `no activity for ${plural(idle, "day")}`;
  return settle(70, [{ factor: "trend.usage_recency", delta: clamp(20 - idle * 2, -70, 20), detail }]);
}

/** Tickets opened in the last 30 days against the monthly average of the 90 days before. */
export function ticketTrendResult(recent: number, monthlyBefore: number): ComponentResult {
  const usual = monthlyBefore === 0 ? "usually none" : `usually ${monthlyBefore < 1 ? "under 1" : Math.round(monthlyBefore)} a month`;
  return settle(80, [
    {
      factor: "trend.ticket_volume",
      delta: -clamp((recent - monthlyBefore) * 10, -20, 80),
      detail: `${plural(recent, "ticket")} opened in the last 30 days, ${usual}`,
    },
  ]);
}

/** Share of the recent tickets (opened in the last 90 days) that are urgent or high-priority. */
export function urgentShareResult(urgent: number, total: number): ComponentResult {
  if (total === 0) return noData;
  return settle(90, [{ factor: "trend.urgent_share", delta: -(urgent / total) * 80, detail: `${urgent} of ${plural(total, "recent ticket")} urgent or high-priority` }]);
}

/** How long ago the latest NPS answer came: 90 when today, down to 20 after a year. */
export function npsRecencyResult(lastAnsweredAt: number | null, now: number): ComponentResult {
  if (lastAnsweredAt === null) return noData;
  const days = daysBetween(lastAnsweredAt, now);
  return settle(70, [{ factor: "trend.nps_recency", delta: clamp(20 - days / 5, -50, 20), detail: `last NPS answer ${ago(lastAnsweredAt, now)}` }]);
}

export function scoreTrends(state: CustomerState, now: number): Record<TrendName, ComponentResult> {
  const { recent, previous } = userDays(state, now);
  const opened = ticketViews(state)
    .filter((t) => t.openedAt !== null && t.openedAt <= now)
    .map((t) => ({ at: t.openedAt!, urgent: t.priority === "urgent" || t.priority === "high" }));
  // Only tickets inside the window compaction keeps whole or archived (TICKET_DAYS_KEPT): the reading must not change when older ones go.
  const hasTickets = opened.some((t) => t.at > now - 120 * DAY);
  const last30 = opened.filter((t) => t.at > now - 30 * DAY).length;
  const before = opened.filter((t) => t.at <= now - 30 * DAY && t.at > now - 120 * DAY).length / 3;
  const last90 = opened.filter((t) => t.at > now - 90 * DAY);
  const answers = Object.values(state.sentiment.responses).filter((r) => (r.kind === undefined || r.kind === "nps") && r.at <= now);
  return {
    usageTrend: usageTrendResult(recent, previous),
    usageRecency: usageRecencyResult(lastActive(state, now), now),
    ticketTrend: hasTickets ? ticketTrendResult(last30, before) : noData,
    urgentShare: urgentShareResult(last90.filter((t) => t.urgent).length, last90.length),
    npsRecency: npsRecencyResult(answers.length ? Math.max(...answers.map((r) => r.at)) : null, now),
  };
}

function lastActive(state: CustomerState, now: number): number | null {
  const times = Object.values(state.usage.events).map((e) => e.lastAt);
  if (state.usage.lastSeenAt !== undefined) times.push(state.usage.lastSeenAt);
  const past = times.filter((t) => t <= now);
  return past.length ? Math.max(...past) : null;
}
