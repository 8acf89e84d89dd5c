import { ticketSummaries } from "../tickets";
import { buckets, periodLabel } from "./periods";
import { within, type MetricCustomer, type Period, type Window } from "./types";

export interface TopicCount {
  topic: string;
  tickets: number;
  /** Up to three titles of tickets with this topic. */
  examples: string[];
}

export interface PeriodTopics {
  period: string;
  tickets: number;
  topics: TopicCount[];
}

/** Words that say nothing about what a ticket is about. */
const STOPWORDS = new Set(
  ("the and for with from that this have has not can cannot can't cant does doesnt don't dont our your you are was were will " +
    "into about after before when what why how who where which there their them then than too very just also any all " +
    "get got getting unable issue issues problem problems question questions help please need needs request re fw fwd " +
    "hi hello thanks thank urgent asap working work works").split(" "),
);

/** Tags (lowercased) and title keywords of one ticket, each once. */
export function ticketTopics(t: { tags: readonly string[]; subject?: string }): string[] {
  const out = new Set<string>();
  for (const tag of t.tags) if (tag.trim()) out.add(tag.trim().toLowerCase());
  for (const word of (t.subject ?? "").toLowerCase().split(/[^\p{L}\p{N}'_-]+/u)) {
    const w = word.replace(/^['_-]+|['_-]+$/g, "");
    if (w.length >= 3 && !STOPWORDS.has(w) && !/^\d+$/.test(w)) out.add(w);
  }
  return [...out];
}

export function topTicketTopics(customers: readonly MetricCustomer[], w: Window, period: Period, limit = 5): PeriodTopics[] {
  return buckets(w, period).map((b) => {
    const counts = new Map<string, TopicCount>();
    let tickets = 0;
    for (const c of customers) {
      for (const t of ticketSummaries(c.state)) {
        const at = t.view.openedAt;
        if (at === null || !within(at, b)) continue;
        tickets++;
        for (const topic of ticketTopics(t)) {
          const entry = counts.get(topic) ?? { topic, tickets: 0, examples: [] };
          entry.tickets++;
          if (t.subject && entry.examples.length < 3 && !entry.examples.includes(t.subject)) entry.examples.push(t.subject);
          counts.set(topic, entry);
        }
      }
    }
    const topics = [...counts.values()].sort((a, b) => b.tickets - a.tickets || (a.topic < b.topic ? -1 : 1)).slice(0, limit);
    return { period: periodLabel(b.from, period), tickets, topics };
  });
}
