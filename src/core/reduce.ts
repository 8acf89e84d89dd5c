import { assertNever, type EventOf, type NormalizedEvent } from "./events";
import { compactState } from "./compact";
import { deleteEntry, entry, entryOr, setEntry } from "./keyed";
import { addToSketch, hash32 } from "./sketch";
import { restoreTicket } from "./tickets";
import {
  type CustomerState,
  type DealField,
  FEATURES_PER_DAY,
  type SubscriptionFact,
  type TicketFact,
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
  return applyEvents(state, [ev]);
}

/** One copy of the state for the whole list, compacted once at the end (src/core/compact.ts). */
export function applyEvents(state: CustomerState, events: readonly NormalizedEvent[], opts: { compact?: boolean } = {}): CustomerState {
  if (events.length === 0) return state;
  const s = structuredClone(state);
  for (const ev of events) applyInPlace(s, ev);
  if (opts.compact !== false) compactState(s);
  return s;
}

function applyInPlace(s: CustomerState, ev: NormalizedEvent): void {
  s.profile.firstSeenAt = minDefined(s.profile.firstSeenAt, ev.occurredAt);
  if (ev.subject.name) s.profile.name = lww(s.profile.name, ev.subject.name, ev.occurredAt, ev.id);
  if (ev.subject.domain) s.profile.domain = lww(s.profile.domain, ev.subject.domain, ev.occurredAt, ev.id);
  applyFact(s, ev);
}

function applyFact(s: CustomerState, ev: NormalizedEvent): void {
  const b = s.billing;
  switch (ev.type) {
    case "invoice.paid":
      setEntry(b.invoices, ev.invoiceId, {
        reason: ev.reason,
        amountPaid: ev.amountPaid,
        currency: ev.currency,
        paidAt: ev.occurredAt,
        subscriptionId: ev.subscriptionId,
        chargeId: ev.chargeId,
        promotionCode: ev.promotionCode,
        ...(ev.meteredAmount !== undefined ? { meteredAmount: ev.meteredAmount } : {}),
      });
      s.profile.currency ??= ev.currency;
      if (ev.amountPaid > 0) b.firstPaidAt = minDefined(b.firstPaidAt, ev.occurredAt);
      if (ev.reason === "renewal") b.firstRenewalAt = minDefined(b.firstRenewalAt, ev.occurredAt);
      return;
    case "payment.failed":
      setEntry(b.failures, `${ev.invoiceId}:${ev.attemptCount}`, {
        invoiceId: ev.invoiceId,
        attempt: ev.attemptCount,
        at: ev.occurredAt,
        amountDue: ev.amountDue,
        currency: ev.currency,
        nextAttemptAt: ev.nextAttemptAt,
      });
      return;
    case "subscription.changed": {
      const prev = entry(b.subscriptions, ev.subscriptionId);
      if (prev && !newer(ev.occurredAt, ev.id, prev)) {
        mergeOlderSubscription(prev, ev);
        return;
      }
      setEntry(b.subscriptions, ev.subscriptionId, {
        status: ev.status,
        mrr: ev.mrr,
        currency: ev.currency,
        mrrUnknownItems: ev.mrrUnknownItems,
        hasPaymentMethod: ev.hasPaymentMethod,
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
        lastChange: latestChange(prev?.lastChange, ev),
        at: ev.occurredAt,
        by: ev.id,
      });
      s.profile.currency ??= ev.currency;
      return;
    }
    case "trial.ending": {
      b.trialEndingAt = maxDefined(b.trialEndingAt, ev.trialEnd);
      const t = b.trialEnding;
      if (!t || ev.trialEnd > t.trialEnd || (ev.trialEnd === t.trialEnd && newer(ev.occurredAt, ev.id, t))) {
        b.trialEnding = { subscriptionId: ev.subscriptionId, trialEnd: ev.trialEnd, hasPaymentMethod: ev.hasPaymentMethod, at: ev.occurredAt, by: ev.id };
      }
      return;
    }
    case "checkout.completed":
      setEntry(b.checkouts, ev.sessionId, {
        at: ev.occurredAt,
        promotionCode: ev.promotionCode,
        referralCode: ev.referralCode,
        clientReferenceId: ev.clientReferenceId,
      });
      return;
    case "charge.refunded": {
      const r = entry(b.refunds, ev.chargeId);
      setEntry(b.refunds, ev.chargeId, {
        at: maxDefined(r?.at, ev.occurredAt)!,
        amount: Math.max(r?.amount ?? 0, ev.amountRefunded),
        invoiceId: ev.invoiceId ?? r?.invoiceId,
      });
      return;
    }
    case "dispute.created":
      setEntry(b.disputes, ev.disputeId, { at: ev.occurredAt, amount: ev.amount, chargeId: ev.chargeId });
      return;
    case "customer.profile":
      if (ev.currency) s.profile.currency ??= ev.currency;
      if (ev.referralCode) s.profile.referralCode ??= ev.referralCode;
      if (ev.hasPaymentMethod !== undefined) b.paymentMethod = lww(b.paymentMethod, ev.hasPaymentMethod, ev.occurredAt, ev.id);
      return;
    case "company.changed":
      for (const [k, v] of Object.entries(ev.properties)) {
        setEntry(s.crm.properties, k, lww(entry(s.crm.properties, k), v, ev.occurredAt, ev.id));
      }
      if (ev.properties.name) s.profile.name = lww(s.profile.name, ev.properties.name, ev.occurredAt, ev.id);
      if (ev.properties.domain) s.profile.domain = lww(s.profile.domain, ev.properties.domain, ev.occurredAt, ev.id);
      return;
    case "company.removed":
      if (!s.crm.removed || newer(ev.occurredAt, ev.mergedInto ?? "", { at: s.crm.removed.at, by: s.crm.removed.mergedInto ?? "" })) {
        s.crm.removed = { at: ev.occurredAt, mergedInto: ev.mergedInto };
      }
      return;
    case "contact.changed": {
      if (entry(s.crm.contacts, ev.contactId)?.erased) return;
      const c = entryOr<CustomerState["crm"]["contacts"][string]>(s.crm.contacts, ev.contactId, () => ({ at: ev.occurredAt }));
      c.at = Math.max(c.at, ev.occurredAt);
      if (ev.role !== undefined && newer(ev.occurredAt, ev.id, c.roleSet)) {
        c.role = ev.role;
        c.roleSet = { at: ev.occurredAt, by: ev.id };
      }
      return;
    }
    case "contact.erased": {
      const c = entry(s.crm.contacts, ev.contactId);
      setEntry(s.crm.contacts, ev.contactId, { at: c?.erased ? Math.max(c.at, ev.occurredAt) : ev.occurredAt, erased: true });
      return;
    }
    case "deal.changed": {
      const d = entryOr<CustomerState["crm"]["deals"][string]>(s.crm.deals, ev.dealId, () => ({ at: ev.occurredAt }));
      d.at = Math.max(d.at, ev.occurredAt);
      const fields = (d.fields ??= {});
      const set = <K extends DealField>(k: K, v: (typeof d)[K]) => {
        if (v === undefined || !newer(ev.occurredAt, ev.id, fields[k])) return;
        d[k] = v;
        fields[k] = { at: ev.occurredAt, by: ev.id };
      };
      set("status", ev.status);
      set("stage", ev.stage);
      set("amount", ev.amount);
      set("closeDate", ev.closeDate);
      return;
    }
    case "ticket.changed": {
      const key = `${ev.desk}:${ev.ticketId}`;
      const archived = s.support.closed && entry(s.support.closed, key);
      if (archived) {
        setEntry(s.support.tickets, key, restoreTicket(ev.desk, archived));
        deleteEntry(s.support.closed!, key);
      }
      const t = entryOr<TicketFact>(s.support.tickets, key, () => ({ desk: ev.desk, statusLog: {}, slaBreached: false, tags: [] }));
      if (ev.status) t.statusLog[`${ev.occurredAt}:${ev.status}`] = { at: ev.occurredAt, status: ev.status };
      if (ev.priority) t.priority = lww(t.priority, ev.priority, ev.occurredAt, ev.id);
      if (ev.csat !== undefined) {
        t.csat = lww(t.csat, ev.csat, ev.occurredAt, ev.id);
        s.support.latestCsat = lww(s.support.latestCsat, ev.csat, ev.occurredAt, ev.id);
      }
      t.slaBreached = t.slaBreached || ev.slaBreached === true;
      // A ticket cannot have opened (or been answered) after the event that reports it.
      const notAfter = (x: number | undefined) => (x === undefined ? undefined : Math.min(x, ev.occurredAt));
      t.openedAt = minDefined(t.openedAt, notAfter(ev.openedAt) ?? (ev.status === "open" ? ev.occurredAt : undefined));
      t.firstResponseAt = minDefined(t.firstResponseAt, notAfter(ev.firstResponseAt));
      if (ev.tags) t.tags = union(t.tags, ev.tags);
      if (ev.title && !t.subject) t.subject = ev.title;
      return;
    }
    case "usage.tracked": {
      const d = touchUser(s, ev.userId, ev.occurredAt);
      if (!d.f.includes(ev.event)) d.f = union(d.f, [ev.event]).slice(0, FEATURES_PER_DAY);
      const e = entry(s.usage.events, ev.event);
      setEntry(s.usage.events, ev.event, { ...e, firstAt: minDefined(e?.firstAt, ev.occurredAt)!, lastAt: maxDefined(e?.lastAt, ev.occurredAt)! });
      return;
    }
    case "user.identified":
      touchUser(s, ev.userId, ev.occurredAt);
      if (ev.role !== undefined) setRole(s, ev.userId, ev.role, ev.occurredAt, ev.id);
      return;
    case "account.grouped":
      if (ev.userId) touchUser(s, ev.userId, ev.occurredAt);
      if (ev.seats !== undefined) s.usage.seats = lww(s.usage.seats, ev.seats, ev.occurredAt, ev.id);
      if (ev.plan) s.usage.plan = lww(s.usage.plan, ev.plan, ev.occurredAt, ev.id);
      if (ev.name) s.profile.name = lww(s.profile.name, ev.name, ev.occurredAt, ev.id);
      if (ev.domain) s.profile.domain = lww(s.profile.domain, ev.domain, ev.occurredAt, ev.id);
      return;
    case "survey.responded": {
      const r = entry(s.sentiment.responses, ev.responseId);
      if (r && !newer(ev.occurredAt, ev.id, r)) {
        r.comment ??= ev.comment;
        return;
      }
      setEntry(s.sentiment.responses, ev.responseId, {
        score: ev.score,
        at: ev.occurredAt,
        by: ev.id,
        comment: ev.comment ?? r?.comment,
        ...(ev.kind && ev.kind !== "nps" ? { kind: ev.kind, scale: ev.scale } : {}),
      });
      return;
    }
    case "loyalty.activity":
      setEntry(s.loyalty.activities, `${ev.kind}:${ev.ref}`, { kind: ev.kind, at: ev.occurredAt });
      return;
    default:
      assertNever(ev);
  }
}

/** A user seen on a day: counted in that day's and the all-time distinct-user sketches. */
function touchUser(s: CustomerState, userId: string, at: number) {
  const day = dayKey(at);
  const d = entryOr(s.usage.days, day, () => ({ u: { h: [] }, f: [] }));
  d.u = addToSketch(d.u, userId);
  s.usage.known = addToSketch(s.usage.known, userId);
  s.usage.lastSeenAt = maxDefined(s.usage.lastSeenAt, at);
  return d;
}

function setRole(s: CustomerState, userId: string, role: string, at: number, by: string): void {
  const key = hash32(userId).toString(36);
  const r = entry(s.usage.roles, key);
  if (!r || newer(at, by, r)) setEntry(s.usage.roles, key, { role, at, by });
}

function latestChange(prev: SubscriptionFact["lastChange"], ev: EventOf<"subscription.changed">): SubscriptionFact["lastChange"] {
  if (!ev.change) return prev;
  const next = { direction: ev.change.direction, previousMrr: ev.change.previousMrr, at: ev.occurredAt };
  return !prev || next.at > prev.at || (next.at === prev.at && next.direction > prev.direction) ? next : prev;
}

/**
 * An event older than the stored snapshot still contributes what the snapshot may lack: the earliest
 * start, the newest plan change, and fields a vendor sends on some events only (trial, period end,
 * cancellation details), which keep one value per subscription.
 */
function mergeOlderSubscription(sub: SubscriptionFact, ev: EventOf<"subscription.changed">): void {
  sub.startedAt = minDefined(sub.startedAt, ev.startedAt);
  sub.trialStart ??= ev.trialStart;
  sub.trialEnd ??= ev.trialEnd;
  sub.currentPeriodEnd ??= ev.currentPeriodEnd;
  sub.cancellation ??= ev.cancellation;
  sub.lastChange = latestChange(sub.lastChange, ev);
}
