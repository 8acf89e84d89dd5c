import { ticketSummaries } from "../tickets";
import { MAX_TOPIC_TICKETS, buildTopics, type TopicTicket } from "../topics";
import { buckets, periodLabel } from "./periods";
import { within, type MetricCustomer, type Period, type Window } from "./types";

/** One kept ticket as a topic example: enough to find it (customer and desk key) and to read it. */
export interface TopicExample extends TopicTicket {
  customerId: string;
  customerName: string | null;
  ticket: string;
}

export interface TopicCount {
  topic: string;
  /** Tickets this topic explains (each ticket counts under one topic only). */
  tickets: number;
  /** Up to three of those tickets, newest first. */
  examples: { customerId: string; ticket: string; subject: string | null }[];
}

export interface PeriodTopics {
  period: string;
  tickets: number;
  /** Tickets the topics were read from: the newest MAX_TOPIC_TICKETS. */
  read: number;
  topics: TopicCount[];
}

/** The kept tickets (whole or archived) opened in the window, across desks and customers. */
export function ticketsOpenedIn(customers: readonly MetricCustomer[], w: Window): TopicExample[] {
  const out: TopicExample[] = [];
  for (const c of customers) {
    for (const t of ticketSummaries(c.state)) {
      const at = t.view.openedAt;
      if (at === null || !within(at, w)) continue;
      out.push({ id: `${c.id}/${t.key}`, customerId: c.id, customerName: c.name, ticket: t.key, subject: t.subject, tags: t.tags, at });
    }
  }
  return out;
}

/** Topics of the tickets opened in the window (the newest MAX_TOPIC_TICKETS of them), with their example tickets. */
export function windowTopics(customers: readonly MetricCustomer[], w: Window, limit = 10) {
  const tickets = ticketsOpenedIn(customers, w);
  return { tickets: tickets.length, read: Math.min(tickets.length, MAX_TOPIC_TICKETS), topics: buildTopics(tickets, { limit }) };
}

export function topTicketTopics(customers: readonly MetricCustomer[], w: Window, period: Period, limit = 5): PeriodTopics[] {
  return buckets(w, period).map((b) => {
    const { tickets, read, topics } = windowTopics(customers, b, limit);
    return {
      period: periodLabel(b.from, period),
      tickets,
      read,
      topics: topics.map((t) => ({ topic: t.phrase, tickets: t.tickets, examples: t.examples.map((e) => ({ customerId: e.customerId, ticket: e.ticket, subject: e.subject ?? null })) })),
    };
  });
}
