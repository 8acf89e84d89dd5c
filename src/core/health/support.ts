import type { CustomerState } from "../state";
import { type TicketView, ticketViews } from "../tickets";
import { DAY, type ComponentResult, type Factor, clamp, daysBetween, noData, plural, settle } from "./factors";
import type { HealthModel } from "./model";

type Params = HealthModel["support"];

/** Neutral baseline for a customer whose tickets are all handled and unremarkable. */
const BASELINE = 90;

/** Support health; null for a customer who never opened a ticket (silence is not evidence either way). */
export function scoreSupport(state: CustomerState, now: number, p: Params): ComponentResult {
  const all = ticketViews(state);
  if (all.length === 0) return noData;
  const since = now - p.lookbackDays * DAY;
  const recent = all.filter((t) => t.open || t.lastActivity >= since);
  const open = all.filter((t) => t.open);
  return settle(BASELINE, [
    ...openFactors(open, now, p),
    ...reopenFactor(recent, p),
    ...csatFactor(all, since, p),
    ...slaFactor(recent, p),
    ...volumeFactor(all, now, p),
  ]);
}

function oldestAge(tickets: TicketView[], now: number): number {
  const opened = tickets.map((t) => t.openedAt).filter((x): x is number => x !== null);
  return opened.length === 0 ? 0 : daysBetween(Math.min(...opened), now);
}

function openedFor(days: number): string {
  return days === 0 ? "opened today" : `open for ${plural(days, "day")}`;
}

function openFactors(open: TicketView[], now: number, p: Params): Factor[] {
  const out: Factor[] = [];
  const urgent = open.filter((t) => t.priority === "urgent");
  const high = open.filter((t) => t.priority === "high");
  const rest = open.filter((t) => t.priority !== "urgent" && t.priority !== "high");
  if (urgent.length + high.length > 0) {
    const parts = [urgent.length ? `${urgent.length} urgent` : "", high.length ? `${high.length} high-priority` : ""];
    const n = urgent.length + high.length;
    out.push({
      factor: "support.urgent_open",
      delta: -Math.min(urgent.length * p.urgentPenalty + high.length * p.highPenalty, p.maxPriorityPenalty),
      detail: `${parts.filter(Boolean).join(" and ")} ${n === 1 ? "ticket" : "tickets"} ${openedFor(oldestAge([...urgent, ...high], now))}`,
    });
  }
  if (rest.length > 0) {
    const age = oldestAge(rest, now);
    out.push({
      factor: "support.open_tickets",
      delta: -Math.min(rest.length * p.openPenalty, p.maxOpenPenalty),
      detail: `${plural(rest.length, "ticket")} open, oldest ${age === 0 ? "opened today" : `for ${plural(age, "day")}`}`,
    });
  }
  return out;
}

function reopenFactor(recent: TicketView[], p: Params): Factor[] {
  if (recent.length < p.minTicketsForReopenRate) return [];
  const reopened = recent.filter((t) => t.reopened).length;
  if (reopened === 0) return [];
  return [
    {
      factor: "support.reopen_rate",
      delta: -(reopened / recent.length) * p.reopenRateWeight,
      detail: `${reopened} of ${recent.length} recent tickets reopened`,
    },
  ];
}

/** The mean satisfaction (0–100) of the tickets rated at or after `since`, and how many were rated. */
export function ticketCsat(all: readonly TicketView[], since: number): { avg: number | null; n: number } {
  const rated = all.flatMap((t) => (t.csat && t.csat.at >= since ? [t.csat.value] : []));
  return { avg: rated.length ? rated.reduce((a, b) => a + b, 0) / rated.length : null, n: rated.length };
}

function csatFactor(all: TicketView[], since: number, p: Params): Factor[] {
  const { avg, n } = ticketCsat(all, since);
  if (avg === null) return [];
  return [
    {
      factor: "support.csat",
      delta: clamp((avg - p.csatTarget) * 0.4, -25, 10),
      detail: `CSAT ${Math.round(avg)}/100 over ${plural(n, "rated ticket")}`,
    },
  ];
}

function slaFactor(recent: TicketView[], p: Params): Factor[] {
  const breached = recent.filter((t) => t.sla).length;
  if (breached === 0) return [];
  return [
    {
      factor: "support.sla_breached",
      delta: -Math.min(breached * p.slaBreachPenalty, p.maxSlaPenalty),
      detail: `SLA breached on ${plural(breached, "ticket")}`,
    },
  ];
}

/** Ticket volume in the last 30 days against the customer's own monthly average over the 90 days before. */
function volumeFactor(all: TicketView[], now: number, p: Params): Factor[] {
  const opened = all.map((t) => t.openedAt).filter((x): x is number => x !== null && x <= now);
  const recent = opened.filter((at) => at > now - 30 * DAY).length;
  const before = opened.filter((at) => at <= now - 30 * DAY && at > now - 120 * DAY).length / 3;
  if (recent < p.volumeSpikeMinTickets || recent < p.volumeSpikeRatio * Math.max(before, 1)) return [];
  const usual = before === 0 ? "usually none" : `usually ${before < 1 ? "under 1" : Math.round(before)} a month`;
  return [
    {
      factor: "support.ticket_spike",
      delta: -p.volumeSpikePenalty,
      detail: `${plural(recent, "ticket")} opened in the last 30 days, ${usual}`,
    },
  ];
}
