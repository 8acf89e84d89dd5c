import { entry, setEntry } from "./keyed";
import { addToSketch, emptySketch, hash32, type Sketch } from "./sketch";
import { archiveTicket, viewTicket } from "./tickets";
import {
  ACTIVITIES_KEPT,
  ARCHIVE_AFTER_DAYS,
  CONTACTS_KEPT,
  type CustomerState,
  DEALS_KEPT,
  FACT_DAYS_KEPT,
  FACTS_KEPT,
  FEATURES_KEPT,
  INVOICES_KEPT,
  OPEN_TICKETS_KEPT,
  PROPERTIES_KEPT,
  RESPONSES_KEPT,
  ROLE_USERS_KEPT,
  SUBSCRIPTIONS_KEPT,
  TICKET_DAYS_KEPT,
  TICKET_LOG_KEPT,
  type TicketFact,
  USAGE_DAYS_KEPT,
  DAY,
  dayKey,
} from "./state";


/**
 * Bounds a customer's state in place: every map keeps what the model reads (see the retentions in
 * state.ts) and at most a fixed number of entries. Retentions count back from the newest fact of the same
 * kind, and caps keep the newest entries (ties by key), so the result does not depend on the order facts
 * arrived in or on how often compaction ran.
 */
export function compactState(s: CustomerState): void {
  compactUsage(s);
  compactTickets(s);
  const b = s.billing;
  b.invoices = keepRecent(b.invoices, (i) => i.paidAt, FACT_DAYS_KEPT, INVOICES_KEPT);
  b.failures = keepRecent(b.failures, (f) => f.at, FACT_DAYS_KEPT, FACTS_KEPT);
  b.refunds = keepRecent(b.refunds, (r) => r.at, FACT_DAYS_KEPT, FACTS_KEPT);
  b.disputes = keepRecent(b.disputes, (d) => d.at, FACT_DAYS_KEPT, FACTS_KEPT);
  b.checkouts = keepRecent(b.checkouts, (c) => c.at, FACT_DAYS_KEPT, FACTS_KEPT);
  b.subscriptions = capBy(b.subscriptions, (x) => (x.status === "canceled" || x.status === "incomplete_expired" ? x.at : Number.MAX_SAFE_INTEGER), SUBSCRIPTIONS_KEPT);
  s.sentiment.responses = keepRecent(s.sentiment.responses, (r) => r.at, FACT_DAYS_KEPT, RESPONSES_KEPT);
  s.crm.contacts = capBy(s.crm.contacts, (c) => (c.role ? Number.MAX_SAFE_INTEGER : c.at), CONTACTS_KEPT);
  s.crm.deals = capBy(s.crm.deals, (d) => d.at, DEALS_KEPT);
  s.crm.properties = capBy(s.crm.properties, (p) => p.at, PROPERTIES_KEPT);
  s.loyalty.activities = capBy(s.loyalty.activities, (a) => a.at, ACTIVITIES_KEPT);
}

function compactUsage(s: CustomerState): void {
  const keys = Object.keys(s.usage.days).sort();
  const newest = keys[keys.length - 1];
  if (newest) {
    const cutoff = dayKey(Date.parse(newest) - (USAGE_DAYS_KEPT - 1) * DAY);
    for (const k of keys) {
      if (k >= cutoff) continue;
      for (const f of s.usage.days[k]!.f) {
        const e = entry(s.usage.events, f);
        if (e) e.prunedAt = Math.max(e.prunedAt ?? -Infinity, Date.parse(k));
      }
      delete s.usage.days[k];
    }
  }
  s.usage.events = capBy(s.usage.events, (e) => e.lastAt, FEATURES_KEPT);
  s.usage.roles = capBy(s.usage.roles, (r) => r.at, ROLE_USERS_KEPT);
}

function compactTickets(s: CustomerState): void {
  const tickets = s.support.tickets;
  const closed = (s.support.closed ??= {});
  let newest = -Infinity;
  const last = new Map<string, number>();
  for (const [key, t] of Object.entries(tickets)) {
    if (Object.keys(t.statusLog).length > TICKET_LOG_KEPT) t.statusLog = Object.fromEntries(Object.entries(t.statusLog).sort(([a, x], [b, y]) => y.at - x.at || (a < b ? 1 : -1)).slice(0, TICKET_LOG_KEPT));
    const at = ticketActivity(t);
    last.set(key, at);
    newest = Math.max(newest, at);
  }
  for (const c of Object.values(closed)) newest = Math.max(newest, c[1]);
  const cutoff = newest - TICKET_DAYS_KEPT * DAY;
  const archiveBefore = newest - ARCHIVE_AFTER_DAYS * DAY;
  const open: string[] = [];
  for (const [key, t] of Object.entries(tickets)) {
    const at = last.get(key)!;
    if (isOpen(t)) open.push(key);
    else if (at < archiveBefore) {
      delete tickets[key];
      if (at >= cutoff) setEntry(closed, key, archiveTicket(t));
    }
  }
  for (const [key, c] of Object.entries(closed)) if (c[1] < cutoff) delete closed[key];
  if (open.length > OPEN_TICKETS_KEPT) {
    open.sort((a, b) => last.get(b)! - last.get(a)! || (a < b ? 1 : -1));
    for (const key of open.slice(OPEN_TICKETS_KEPT)) delete tickets[key];
  }
  if (Object.keys(closed).length === 0) delete s.support.closed;
}

export function ticketActivity(t: TicketFact): number {
  let at = Math.max(t.openedAt ?? 0, t.priority?.at ?? 0, t.csat?.at ?? 0);
  for (const e of Object.values(t.statusLog)) at = Math.max(at, e.at);
  return at;
}

/** Only a ticket its desk has marked solved or closed is archived; one whose status is unknown stays whole. */
function isOpen(t: TicketFact): boolean {
  const status = viewTicket(t).status;
  return status !== "solved" && status !== "closed";
}

/** Entries within `days` of the newest, and at most `max` of them (newest first, ties by key). */
function keepRecent<T>(map: Record<string, T>, at: (v: T) => number, days: number, max: number): Record<string, T> {
  let newest = -Infinity;
  for (const v of Object.values(map)) newest = Math.max(newest, at(v));
  const cutoff = newest - days * DAY;
  let changed = false;
  const kept: Record<string, T> = {};
  for (const [k, v] of Object.entries(map)) {
    if (at(v) >= cutoff) setEntry(kept, k, v);
    else changed = true;
  }
  return capBy(changed ? kept : map, at, max);
}

function capBy<T>(map: Record<string, T>, rank: (v: T) => number, max: number): Record<string, T> {
  const entries = Object.entries(map);
  if (entries.length <= max) return map;
  entries.sort(([a, x], [b, y]) => rank(y) - rank(x) || (a < b ? 1 : -1));
  return Object.fromEntries(entries.slice(0, max));
}

type LegacyUsage = {
  days?: Record<string, { users?: string[]; events?: string[]; u?: Sketch; f?: string[] }>;
  events?: Record<string, { firstAt: number; lastAt: number; users?: string[] }>;
  users?: Record<string, { lastAt: number; role?: string; roleSet?: { at: number; by: string } }>;
  roles?: CustomerState["usage"]["roles"];
};

/**
 * States stored before usage was kept as per-day aggregates held every user id: fold them into the
 * bounded shape (sketches, hashed role holders), then compact. A state already in the new shape is
 * returned as it is.
 */
export function upgradeState(state: CustomerState): CustomerState {
  const usage = state.usage as unknown as LegacyUsage;
  const legacy = usage.users !== undefined || Object.values(usage.days ?? {}).some((d) => d.users !== undefined);
  const billing = state.billing;
  const needsRegisters = billing.firstPaidAt === undefined && Object.values(billing.invoices).some((i) => i.amountPaid > 0);
  if (!legacy && !needsRegisters) return state;
  const s = structuredClone(state);
  const u = s.usage as unknown as LegacyUsage & CustomerState["usage"];
  if (legacy) {
    let known: Sketch = emptySketch();
    const days: CustomerState["usage"]["days"] = {};
    for (const [day, d] of Object.entries(u.days ?? {})) {
      let sketch: Sketch = d.u ?? emptySketch();
      for (const id of d.users ?? []) sketch = addToSketch(sketch, id);
      days[day] = { u: sketch, f: [...new Set(d.f ?? d.events ?? [])].sort() };
    }
    const events: CustomerState["usage"]["events"] = {};
    for (const [name, e] of Object.entries(u.events ?? {})) setEntry(events, name, { firstAt: e.firstAt, lastAt: e.lastAt });
    const roles: CustomerState["usage"]["roles"] = { ...(u.roles ?? {}) };
    let lastSeenAt: number | undefined;
    for (const [id, user] of Object.entries(u.users ?? {})) {
      known = addToSketch(known, id);
      lastSeenAt = Math.max(lastSeenAt ?? -Infinity, user.lastAt);
      if (user.role !== undefined) roles[legacyRoleKey(id)] = { role: user.role, at: user.roleSet?.at ?? user.lastAt, by: user.roleSet?.by ?? "" };
    }
    s.usage = { days, events, roles, known, lastSeenAt, seats: u.seats, plan: u.plan };
  }
  for (const inv of Object.values(s.billing.invoices)) {
    if (inv.amountPaid > 0) s.billing.firstPaidAt = Math.min(s.billing.firstPaidAt ?? Infinity, inv.paidAt);
    if (inv.reason === "renewal") s.billing.firstRenewalAt = Math.min(s.billing.firstRenewalAt ?? Infinity, inv.paidAt);
  }
  compactState(s);
  return s;
}

function legacyRoleKey(id: string): string {
  return hash32(id).toString(36);
}
