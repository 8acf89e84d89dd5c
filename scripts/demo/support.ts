import type { Rng } from "./random";
import { type Account, DAY, type DemoEvent, HOUR, type Persona } from "./world";

/** Support tickets (Zendesk triggers or Intercom conversations) and NPS answers (Delighted or Typeform), wave 3. */

const TICKETS: Record<Persona, [number, number]> = { champion: [0, 2], steady: [1, 3], at_risk: [3, 6], churning: [2, 4], new: [0, 1] };
const NPS: Record<Persona, [number, number]> = { champion: [9, 10], steady: [7, 9], at_risk: [2, 6], churning: [0, 4], new: [8, 9] };
const SUBJECTS = ["Export to CSV times out", "How do I invite my team?", "Billing address change", "SSO setup question", "Dashboard shows stale data", "Integration keeps disconnecting", "Feature request: custom fields"];
const COMMENTS: Record<Persona, string[]> = {
  champion: ["The dashboards save us hours every week", "Support is quick and friendly"],
  steady: ["Does what we need", "Solid, a few rough edges"],
  at_risk: ["Support has been slow lately", "Too many bugs in the integrations"],
  churning: ["Too expensive for what we use", "We never got the team on board"],
  new: ["Great onboarding so far"],
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const s = (ms: number) => Math.floor(ms / 1000);

interface Ticket {
  id: string;
  subject: string;
  email: string;
  openedAt: number;
  priority: "low" | "normal" | "high" | "urgent";
  solvedAt: number | null;
  reopenedAt: number | null;
  good: boolean | null;
}

function tickets(rng: Rng, a: Account, now: number, n: { next: number }): Ticket[] {
  const count = rng.int(...TICKETS[a.persona]);
  return Array.from({ length: count }, () => {
    const openedAt = rng.int(a.signupAt + DAY, now - 2 * DAY);
    const risky = a.persona === "at_risk" || a.persona === "churning";
    const solvedAt = risky && rng.chance(0.3) ? null : Math.min(now - HOUR, openedAt + rng.int(2, 72) * HOUR);
    return {
      id: String(n.next++),
      subject: rng.pick(SUBJECTS),
      email: rng.pick(a.users).email,
      openedAt,
      priority: risky && rng.chance(0.5) ? rng.pick(["high", "urgent"] as const) : rng.pick(["low", "normal"] as const),
      solvedAt,
      reopenedAt: solvedAt !== null && a.persona === "at_risk" && rng.chance(0.3) && solvedAt + DAY < now ? solvedAt + DAY : null,
      good: solvedAt === null ? null : risky ? rng.chance(0.3) : rng.chance(0.9),
    };
  });
}

function zendesk(t: Ticket, at: number, status: string, satisfaction: string): DemoEvent {
  const ticket = { id: t.id, status, priority: t.priority, tags: "web_widget demo", title: t.subject, requester_email: t.email, created_at: iso(t.openedAt), updated_at: iso(at), satisfaction };
  return { source: "zendesk", wave: 3, at, kind: `zendesk ticket ${status}`, payload: { ticket } };
}

function intercom(rng: Rng, t: Ticket, at: number, topic: string, extra: Record<string, unknown> = {}): DemoEvent {
  const item = {
    type: "conversation", id: t.id, created_at: s(t.openedAt), updated_at: s(at), title: t.subject, state: topic.endsWith("closed") ? "closed" : "open",
    priority: t.priority === "high" || t.priority === "urgent" ? "priority" : "not_priority",
    source: { type: "conversation", author: { type: "user", email: t.email } }, ...extra,
  };
  const payload = { type: "notification_event", app_id: "demoapp", id: rng.id("notif_", 20), topic, created_at: s(at), delivery_attempts: 1, first_sent_at: s(at), data: { type: "notification_event_data", item } };
  return { source: "intercom", wave: 3, at, kind: `intercom ${topic}`, payload };
}

function ticketEvents(rng: Rng, a: Account, t: Ticket): DemoEvent[] {
  if (a.desk === "zendesk") {
    const out = [zendesk(t, t.openedAt, "new", "Unoffered")];
    if (t.solvedAt !== null) out.push(zendesk(t, t.solvedAt, "solved", "Offered"));
    if (t.reopenedAt !== null) out.push(zendesk(t, t.reopenedAt, "open", "Offered"), zendesk(t, t.reopenedAt + 6 * HOUR, "solved", "Offered"));
    if (t.good !== null) {
      const at = (t.reopenedAt ?? t.solvedAt!) + 8 * HOUR;
      out.push(zendesk(t, at, "solved", t.good ? "Good, I'm satisfied" : "Bad, I'm unsatisfied"));
    }
    return out;
  }
  const replied = t.openedAt + rng.int(1, 8) * HOUR;
  const out = [intercom(rng, t, t.openedAt, "conversation.user.created"), intercom(rng, t, replied, "conversation.admin.replied", { statistics: { first_admin_reply_at: s(replied) } })];
  if (t.solvedAt !== null) out.push(intercom(rng, t, Math.max(t.solvedAt, replied + 1_000), "conversation.admin.closed"));
  if (t.good !== null) out.push(intercom(rng, t, Math.max(t.solvedAt!, replied) + 2 * HOUR, "conversation.rating.added", { conversation_rating: { rating: t.good ? rng.int(4, 5) : rng.int(1, 2), remark: null } }));
  return out;
}

function npsEvent(rng: Rng, a: Account, at: number, n: number): DemoEvent {
  const score = rng.int(...NPS[a.persona]);
  const comment = rng.pick(COMMENTS[a.persona]);
  const email = rng.pick(a.users).email;
  if (a.survey === "delighted") {
    const data = { id: String(n), person: { id: String(90_000 + n), email, name: null }, survey_type: "nps", score, comment, permalink: `https://app.delighted.com/r/${n}`, created_at: s(at), updated_at: s(at), person_properties: {}, notes: [], tags: [], additional_answers: [] };
    return { source: "delighted", wave: 3, at, kind: "nps response", payload: { event_type: "survey_response.created", event_id: rng.id("dl_", 16), event_data: data } };
  }
  const form = {
    form_id: "NpsDemo1", token: rng.id("", 32), landed_at: iso(at - 40_000), submitted_at: iso(at), hidden: { email },
    definition: { id: "NpsDemo1", title: "How likely are you to recommend us?", fields: [{ id: "nps1", ref: "nps", type: "nps", title: "How likely are you to recommend us to a friend?" }, { id: "why1", ref: "why", type: "long_text", title: "Why?" }] },
    answers: [{ type: "number", number: score, field: { id: "nps1", type: "nps", ref: "nps" } }, { type: "text", text: comment, field: { id: "why1", type: "long_text", ref: "why" } }],
  };
  return { source: "typeform", wave: 3, at, kind: "nps response", payload: { event_id: rng.id("01", 24), event_type: "form_response", form_response: form } };
}

export function voiceEvents(rng: Rng, a: Account, now: number, n: { next: number }): DemoEvent[] {
  const out = tickets(rng, a, now, n).flatMap((t) => ticketEvents(rng, a, t));
  const answers = a.persona === "new" ? (rng.chance(0.5) ? 1 : 0) : a.persona === "champion" || a.persona === "at_risk" ? 2 : 1;
  for (let k = 0; k < answers; k++) {
    const at = rng.int(Math.min(a.signupAt + 14 * DAY, now - 2 * DAY), now - DAY);
    out.push(npsEvent(rng, a, at, n.next++));
  }
  return out;
}
