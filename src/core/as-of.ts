import { setEntry } from "./keyed";
import { mergeSketches } from "./sketch";
import { hasEnded } from "./subscriptions";
import { type ClosedTicket, type CustomerState, DAY, type SubscriptionFact, type TicketFact, dayKey } from "./state";


/**
 * The customer as the facts stood at `t`: every fact that happened after `t` is left out. Used to score
 * past days in event time (the timeline, `recompute {asOf}`, the backtest) from the kept state alone.
 *
 * Exact for facts with their own time (invoices, failures, usage days, ticket status changes, survey
 * answers) inside their retention (state.ts). Registers that keep only their latest value (a
 * subscription's snapshot, CRM properties) are rolled back where the facts allow: a subscription that
 * ended after `t` was live at `t`; a change made after `t` is dropped; a property set after `t` is unknown.
 * Pure; the argument is not modified.
 */
export function stateAsOf(s: CustomerState, t: number): CustomerState {
  const upTo = <T>(map: Record<string, T>, at: (v: T) => number): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(map)) if (at(v) <= t) setEntry(out, k, v);
    return out;
  };
  const before = (x: number | undefined) => (x !== undefined && x <= t ? x : undefined);
  const b = s.billing;
  return {
    profile: { ...s.profile, firstSeenAt: before(s.profile.firstSeenAt) },
    billing: {
      subscriptions: subscriptionsAsOf(b.subscriptions, t),
      invoices: upTo(b.invoices, (i) => i.paidAt),
      failures: upTo(b.failures, (f) => f.at),
      refunds: upTo(b.refunds, (r) => r.at),
      disputes: upTo(b.disputes, (d) => d.at),
      checkouts: upTo(b.checkouts, (c) => c.at),
      trialEndingAt: b.trialEndingAt,
      trialEnding: b.trialEnding && b.trialEnding.at <= t ? b.trialEnding : undefined,
      paymentMethod: b.paymentMethod && b.paymentMethod.at <= t ? b.paymentMethod : undefined,
      firstPaidAt: before(b.firstPaidAt),
      firstRenewalAt: before(b.firstRenewalAt),
    },
    crm: {
      properties: upTo(s.crm.properties, (p) => p.at),
      deals: upTo(s.crm.deals, (d) => d.at),
      contacts: upTo(s.crm.contacts, (c) => c.at),
      removed: s.crm.removed && s.crm.removed.at <= t ? s.crm.removed : undefined,
    },
    support: supportAsOf(s.support, t),
    usage: usageAsOf(s.usage, t),
    sentiment: { responses: upTo(s.sentiment.responses, (r) => r.at) },
    loyalty: { activities: upTo(s.loyalty.activities, (a) => a.at) },
  };
}

function subscriptionsAsOf(subs: Record<string, SubscriptionFact>, t: number): Record<string, SubscriptionFact> {
  const out: Record<string, SubscriptionFact> = {};
  for (const [id, sub] of Object.entries(subs)) {
    const began = sub.trialStart ?? sub.startedAt ?? sub.at;
    if (began > t && sub.at > t) continue;
    if (sub.at <= t) {
      setEntry(out, id, sub);
      continue;
    }
    const rolled: SubscriptionFact = { ...sub, cancelAtPeriodEnd: false, cancelAt: undefined, canceledAt: undefined, endedAt: undefined };
    if (hasEnded(sub) || (sub.status === "trialing" && sub.trialEnd !== undefined && sub.trialEnd <= t)) rolled.status = "active";
    if (sub.trialEnd !== undefined && sub.trialEnd > t && sub.trialStart !== undefined && sub.trialStart <= t) rolled.status = "trialing";
    // Stripe's canceled_at is when the cancellation was asked for; the subscription ends at ended_at.
    const endedBy = sub.endedAt ?? sub.canceledAt;
    if (hasEnded(sub) && endedBy !== undefined && endedBy <= t) {
      rolled.status = sub.status;
      rolled.canceledAt = sub.canceledAt;
      rolled.endedAt = sub.endedAt;
    }
    if (sub.lastChange && sub.lastChange.at > t) rolled.lastChange = undefined;
    setEntry(out, id, rolled);
  }
  return out;
}

function ticketsAsOf(tickets: Record<string, TicketFact>, t: number): Record<string, TicketFact> {
  const out: Record<string, TicketFact> = {};
  for (const [key, tk] of Object.entries(tickets)) {
    if (tk.openedAt !== undefined && tk.openedAt > t) continue;
    const statusLog: TicketFact["statusLog"] = {};
    for (const [k, e] of Object.entries(tk.statusLog)) if (e.at <= t) setEntry(statusLog, k, e);
    if (tk.openedAt === undefined && Object.keys(statusLog).length === 0) continue;
    setEntry(out, key, {
      ...tk,
      statusLog,
      priority: tk.priority && tk.priority.at <= t ? tk.priority : undefined,
      csat: tk.csat && tk.csat.at <= t ? tk.csat : undefined,
      firstResponseAt: tk.firstResponseAt !== undefined && tk.firstResponseAt <= t ? tk.firstResponseAt : undefined,
    });
  }
  return out;
}

/** An archived ticket with activity after `t` was, as far as the archive knows, still open at `t`. */
function supportAsOf(support: CustomerState["support"], t: number): CustomerState["support"] {
  const tickets = ticketsAsOf(support.tickets, t);
  const closed: Record<string, ClosedTicket> = {};
  for (const [key, c] of Object.entries(support.closed ?? {})) {
    const [openedAt, lastActivity] = c;
    const opened = openedAt ?? lastActivity;
    if (opened > t) continue;
    if (lastActivity <= t) setEntry(closed, key, c);
    else setEntry(tickets, key, { desk: key.split(":")[0] as TicketFact["desk"], statusLog: { [`${opened}:open`]: { at: opened, status: "open" } }, slaBreached: false, openedAt: openedAt ?? undefined, tags: [] });
  }
  // Without the register, the newest rating up to `t` comes from the tickets themselves.
  const latestCsat = support.latestCsat && support.latestCsat.at <= t ? support.latestCsat : undefined;
  return { tickets, closed, ...(latestCsat ? { latestCsat } : {}) };
}

function usageAsOf(u: CustomerState["usage"], t: number): CustomerState["usage"] {
  const last = dayKey(t);
  const days: CustomerState["usage"]["days"] = {};
  for (const [k, d] of Object.entries(u.days)) if (k <= last) setEntry(days, k, d);
  const keys = Object.keys(days).sort();
  // A use on a day is taken at the day's start: whole days between it and any later day's close come out the same.
  const closeOf = (day: string) => Date.parse(day);
  const events: CustomerState["usage"]["events"] = {};
  for (const [name, e] of Object.entries(u.events)) {
    if (e.firstAt > t) continue;
    if (e.lastAt <= t) {
      setEntry(events, name, e);
      continue;
    }
    let lastAt = e.prunedAt !== undefined && e.prunedAt <= t ? Math.max(e.firstAt, e.prunedAt) : e.firstAt;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (days[keys[i]!]!.f.includes(name)) {
        lastAt = Math.max(e.firstAt, closeOf(keys[i]!));
        break;
      }
    }
    setEntry(events, name, { firstAt: e.firstAt, lastAt });
  }
  const newestDay = keys[keys.length - 1];
  const lastSeenAt = u.lastSeenAt === undefined ? undefined : u.lastSeenAt <= t ? u.lastSeenAt : newestDay ? closeOf(newestDay) : undefined;
  const known = u.known && (u.lastSeenAt ?? Infinity) <= t ? u.known : keys.length ? mergeSketches(keys.map((k) => days[k]!.u)) : undefined;
  const roles: CustomerState["usage"]["roles"] = {};
  for (const [k, r] of Object.entries(u.roles)) if (r.at <= t) setEntry(roles, k, r);
  return {
    days,
    events,
    known,
    lastSeenAt,
    roles,
    seats: u.seats && u.seats.at <= t ? u.seats : undefined,
    plan: u.plan && u.plan.at <= t ? u.plan : undefined,
  };
}
