import type { TicketPriority, TicketStatus } from "./events";
import { CLOSED_CLOSED, CLOSED_HIGH, CLOSED_REOPENED, CLOSED_SLA, CLOSED_URGENT, type ClosedTicket, type CustomerState, SUBJECT_KEPT_CHARS, type TicketFact } from "./state";

/** What the model reads of one ticket, whether it is kept whole or archived. */
export interface TicketView {
  status: TicketStatus | null;
  open: boolean;
  priority: TicketPriority;
  openedAt: number | null;
  lastActivity: number;
  reopened: boolean;
  sla: boolean;
  csat?: { value: number; at: number };
}

function isClosed(s: TicketStatus): boolean {
  return s === "solved" || s === "closed";
}

function statusLogOf(t: TicketFact): { at: number; status: TicketStatus }[] {
  return Object.entries(t.statusLog)
    .sort(([ka, a], [kb, b]) => a.at - b.at || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, e]) => e);
}

export function viewTicket(t: TicketFact): TicketView {
  const log = statusLogOf(t);
  const last = log[log.length - 1];
  const status = last?.status ?? (t.openedAt !== undefined ? "open" : null);
  let reopened = false;
  for (let i = 1; i < log.length; i++) {
    if (isClosed(log[i - 1]!.status) && !isClosed(log[i]!.status)) reopened = true;
  }
  const openedAt = t.openedAt ?? log[0]?.at ?? null;
  const times = [openedAt ?? 0, ...log.map((e) => e.at), t.priority?.at ?? 0, t.csat?.at ?? 0];
  return {
    status,
    open: status === "open" || status === "pending",
    priority: t.priority?.value ?? "normal",
    openedAt,
    lastActivity: Math.max(...times),
    reopened,
    sla: t.slaBreached,
    csat: t.csat ? { value: t.csat.value, at: t.csat.at } : undefined,
  };
}

export function viewClosed(c: ClosedTicket): TicketView {
  const [openedAt, lastActivity, flags, csat, csatAt] = c;
  return {
    status: flags & CLOSED_CLOSED ? "closed" : "solved",
    open: false,
    priority: priorityOf(flags),
    openedAt,
    lastActivity,
    reopened: (flags & CLOSED_REOPENED) !== 0,
    sla: (flags & CLOSED_SLA) !== 0,
    csat: csat !== null && csatAt !== null ? { value: csat, at: csatAt } : undefined,
  };
}

/** Every ticket as the model reads it. */
export function ticketViews(state: CustomerState): TicketView[] {
  return [...Object.values(state.support.tickets).map(viewTicket), ...Object.values(state.support.closed ?? {}).map(viewClosed)];
}

/** A ticket's subject and tags, whole or archived (for topics and the customer page). */
export function ticketSummaries(state: CustomerState): { key: string; subject?: string; tags: string[]; view: TicketView }[] {
  const out = Object.entries(state.support.tickets).map(([key, t]) => ({ key, subject: t.subject, tags: t.tags, view: viewTicket(t) }));
  for (const [key, c] of Object.entries(state.support.closed ?? {})) out.push({ key, subject: c[5] || undefined, tags: c[6] ? c[6].split("|") : [], view: viewClosed(c) });
  return out;
}

const priorityOf = (flags: number): TicketPriority => (flags & CLOSED_URGENT ? "urgent" : flags & CLOSED_HIGH ? "high" : "normal");

export function archiveTicket(t: TicketFact): ClosedTicket {
  const v = viewTicket(t);
  const flags =
    (v.reopened ? CLOSED_REOPENED : 0) |
    (v.sla ? CLOSED_SLA : 0) |
    (v.status === "closed" ? CLOSED_CLOSED : 0) |
    (v.priority === "urgent" ? CLOSED_URGENT : v.priority === "high" ? CLOSED_HIGH : 0);
  return [v.openedAt, v.lastActivity, flags, v.csat?.value ?? null, v.csat?.at ?? null, (t.subject ?? "").slice(0, SUBJECT_KEPT_CHARS), t.tags.slice(0, 5).join("|")];
}

/** An archived ticket that hears from its desk again becomes a whole one, with the facts the archive kept. */
export function restoreTicket(desk: TicketFact["desk"], c: ClosedTicket): TicketFact {
  const [openedAt, lastActivity, flags, csat, csatAt, subject, tags] = c;
  // The fewest status changes that give the same reading: the last status, and a close and reopen before it if there was one.
  const statusLog: TicketFact["statusLog"] = {};
  const last: TicketStatus = flags & CLOSED_CLOSED ? "closed" : "solved";
  if (flags & CLOSED_REOPENED) {
    const first = Math.min(openedAt ?? lastActivity, lastActivity - 2);
    statusLog[`${first}:solved`] = { at: first, status: "solved" };
    statusLog[`${first + 1}:open`] = { at: first + 1, status: "open" };
  }
  statusLog[`${lastActivity}:${last}`] = { at: lastActivity, status: last };
  return {
    desk,
    statusLog,
    slaBreached: (flags & CLOSED_SLA) !== 0,
    openedAt: openedAt ?? undefined,
    csat: csat !== null && csatAt !== null ? { value: csat, at: csatAt, by: "" } : undefined,
    tags: tags ? tags.split("|") : [],
    subject: subject || undefined,
    ...(flags & (CLOSED_URGENT | CLOSED_HIGH) ? { priority: { value: priorityOf(flags), at: openedAt ?? lastActivity, by: "" } } : {}),
  };
}
