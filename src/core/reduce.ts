import { assertNever, type NormalizedEvent } from "./events";
import {
  type CustomerState,
  USAGE_DAYS_KEPT,
  dayKey,
  lww,
  maxDefined,
  minDefined,
  newer,
  union,
} from "./state";

/**
 * Applies one normalized event to a customer's state. Pure: returns a new state.
 * Idempotent (applying the same event twice equals applying it once) and, for commutative facts,
 * insensitive to the order events arrive in.
 */
export function applyEvent(state: CustomerState, ev: NormalizedEvent): CustomerState {
  const s = structuredClone(state);
  s.profile.firstSeenAt = minDefined(s.profile.firstSeenAt, ev.occurredAt);
  if (ev.subject.name) s.profile.name = lww(s.profile.name, ev.subject.name, ev.occurredAt, ev.id);
  if (ev.subject.domain) s.profile.domain = lww(s.profile.domain, ev.subject.domain, ev.occurredAt, ev.id);
  applyFact(s, ev);
  return s;
}

export function applyEvents(state: CustomerState, events: readonly NormalizedEvent[]): CustomerState {
  return events.reduce(applyEvent, state);
}

function applyFact(s: CustomerState, ev: NormalizedEvent): void {
  const b = s.billing;
  switch (ev.type) {
    case "invoice.paid":
      b.invoices[ev.invoiceId] = {
        reason: ev.reason,
        amountPaid: ev.amountPaid,
        currency: ev.currency,
        paidAt: ev.occurredAt,
        subscriptionId: ev.subscriptionId,
        chargeId: ev.chargeId,
        promotionCode: ev.promotionCode,
      };
      s.profile.currency ??= ev.currency;
      return;
    case "payment.failed":
      b.failures[`${ev.invoiceId}:${ev.attemptCount}`] = {
        invoiceId: ev.invoiceId,
        attempt: ev.attemptCount,
        at: ev.occurredAt,
        amountDue: ev.amountDue,
        currency: ev.currency,
        nextAttemptAt: ev.nextAttemptAt,
      };
      return;
    case "subscription.changed": {
      const prev = b.subscriptions[ev.subscriptionId];
      if (!newer(ev.occurredAt, ev.id, prev)) return;
      b.subscriptions[ev.subscriptionId] = {
        status: ev.status,
        mrr: ev.mrr,
        currency: ev.currency,
        planId: ev.planId,
        quantity: ev.quantity,
        startedAt: minDefined(prev?.startedAt, ev.startedAt),
        trialStart: ev.trialStart ?? prev?.trialStart,
        trialEnd: ev.trialEnd ?? prev?.trialEnd,
        currentPeriodEnd: ev.currentPeriodEnd ?? prev?.currentPeriodEnd,
        cancelAtPeriodEnd: ev.cancelAtPeriodEnd,
        cancelAt: ev.cancelAt,
        canceledAt: ev.canceledAt,
        endedAt: ev.endedAt,
        cancellation: ev.cancellation ?? prev?.cancellation,
        lastChange: ev.change
          ? { direction: ev.change.direction, previousMrr: ev.change.previousMrr, at: ev.occurredAt }
          : prev?.lastChange,
        at: ev.occurredAt,
        by: ev.id,
      };
      s.profile.currency ??= ev.currency;
      return;
    }
    case "trial.ending":
      b.trialEndingAt = maxDefined(b.trialEndingAt, ev.trialEnd);
      return;
    case "checkout.completed":
      b.checkouts[ev.sessionId] = {
        at: ev.occurredAt,
        promotionCode: ev.promotionCode,
        referralCode: ev.referralCode,
        clientReferenceId: ev.clientReferenceId,
      };
      return;
    case "charge.refunded":
      b.refunds[ev.chargeId] = { at: ev.occurredAt, amount: Math.max(b.refunds[ev.chargeId]?.amount ?? 0, ev.amountRefunded), invoiceId: ev.invoiceId };
      return;
    case "dispute.created":
      b.disputes[ev.disputeId] = { at: ev.occurredAt, amount: ev.amount, chargeId: ev.chargeId };
      return;
    case "customer.profile":
      if (ev.currency) s.profile.currency ??= ev.currency;
      if (ev.referralCode) s.profile.referralCode ??= ev.referralCode;
      return;
    case "company.changed":
      for (const [k, v] of Object.entries(ev.properties)) {
        s.crm.properties[k] = lww(s.crm.properties[k], v, ev.occurredAt, ev.id);
      }
      if (ev.properties.name) s.profile.name = lww(s.profile.name, ev.properties.name, ev.occurredAt, ev.id);
      if (ev.properties.domain) s.profile.domain = lww(s.profile.domain, ev.properties.domain, ev.occurredAt, ev.id);
      return;
    case "company.removed":
      if (!s.crm.removed || ev.occurredAt > s.crm.removed.at) s.crm.removed = { at: ev.occurredAt, mergedInto: ev.mergedInto };
      return;
    case "contact.changed": {
      const c = s.crm.contacts[ev.contactId];
      if (c?.erased) return;
      if (!c || ev.occurredAt >= c.at) s.crm.contacts[ev.contactId] = { role: ev.role ?? c?.role, at: ev.occurredAt };
      return;
    }
    case "contact.erased":
      s.crm.contacts[ev.contactId] = { at: ev.occurredAt, erased: true };
      return;
    case "deal.changed": {
      const d = s.crm.deals[ev.dealId];
      if (d && ev.occurredAt < d.at) return;
      s.crm.deals[ev.dealId] = {
        status: ev.status ?? d?.status,
        stage: ev.stage ?? d?.stage,
        amount: ev.amount ?? d?.amount,
        closeDate: ev.closeDate ?? d?.closeDate,
        at: ev.occurredAt,
      };
      return;
    }
    case "ticket.changed": {
      const key = `${ev.desk}:${ev.ticketId}`;
      const t = (s.support.tickets[key] ??= { desk: ev.desk, statusLog: {}, slaBreached: false, tags: [] });
      if (ev.status) t.statusLog[`${ev.occurredAt}:${ev.status}`] = { at: ev.occurredAt, status: ev.status };
      if (ev.priority) t.priority = lww(t.priority, ev.priority, ev.occurredAt, ev.id);
      if (ev.csat !== undefined) t.csat = lww(t.csat, ev.csat, ev.occurredAt, ev.id);
      t.slaBreached = t.slaBreached || ev.slaBreached === true;
      t.openedAt = minDefined(t.openedAt, ev.openedAt ?? (ev.status === "open" ? ev.occurredAt : undefined));
      t.firstResponseAt = minDefined(t.firstResponseAt, ev.firstResponseAt);
      if (ev.tags) t.tags = union(t.tags, ev.tags);
      if (ev.title && !t.subject) t.subject = ev.title;
      return;
    }
    case "usage.tracked": {
      const day = dayKey(ev.occurredAt);
      const d = (s.usage.days[day] ??= { users: [], events: [] });
      d.users = union(d.users, [ev.userId]);
      d.events = union(d.events, [ev.event]);
      const e = s.usage.events[ev.event];
      s.usage.events[ev.event] = {
        firstAt: minDefined(e?.firstAt, ev.occurredAt)!,
        lastAt: maxDefined(e?.lastAt, ev.occurredAt)!,
        users: union(e?.users ?? [], [ev.userId]),
      };
      touchUser(s, ev.userId, ev.occurredAt);
      pruneDays(s);
      return;
    }
    case "user.identified":
      touchUser(s, ev.userId, ev.occurredAt, ev.role);
      return;
    case "account.grouped":
      if (ev.userId) touchUser(s, ev.userId, ev.occurredAt);
      if (ev.seats !== undefined) s.usage.seats = lww(s.usage.seats, ev.seats, ev.occurredAt, ev.id);
      if (ev.plan) s.usage.plan = lww(s.usage.plan, ev.plan, ev.occurredAt, ev.id);
      if (ev.name) s.profile.name = lww(s.profile.name, ev.name, ev.occurredAt, ev.id);
      if (ev.domain) s.profile.domain = lww(s.profile.domain, ev.domain, ev.occurredAt, ev.id);
      return;
    case "survey.responded": {
      const r = s.sentiment.responses[ev.responseId];
      if (!newer(ev.occurredAt, ev.id, r)) return;
      s.sentiment.responses[ev.responseId] = { score: ev.score, at: ev.occurredAt, by: ev.id, comment: ev.comment ?? r?.comment };
      return;
    }
    case "loyalty.activity":
      s.loyalty.activities[`${ev.kind}:${ev.ref}`] = { kind: ev.kind, at: ev.occurredAt };
      return;
    default:
      assertNever(ev);
  }
}

function touchUser(s: CustomerState, userId: string, at: number, role?: string): void {
  const u = s.usage.users[userId];
  s.usage.users[userId] = { lastAt: maxDefined(u?.lastAt, at)!, role: role ?? u?.role };
}

/** Keeps the last USAGE_DAYS_KEPT days relative to the newest day seen, so pruning is itself order-insensitive. */
function pruneDays(s: CustomerState): void {
  const keys = Object.keys(s.usage.days).sort();
  const newest = keys[keys.length - 1];
  if (!newest || keys.length <= USAGE_DAYS_KEPT) return;
  const cutoff = dayKey(Date.parse(newest) - (USAGE_DAYS_KEPT - 1) * 86_400_000);
  for (const k of keys) if (k < cutoff) delete s.usage.days[k];
}
