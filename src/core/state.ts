import type { SubscriptionStatus, SurveyKind, TicketPriority, TicketStatus } from "./events";
import type { Sketch } from "./sketch";

/**
 * Everything Tenure knows about one customer (an account), as plain JSON.
 *
 * Every field is built so that applying an event is idempotent and, for facts that commute, order-
 * insensitive: keyed maps (a replay overwrites itself), last-writer-wins registers ordered by the
 * vendor's own clock (`at`, ties broken by event id), and min/max/union for timestamps and sets.
 */

/** A last-writer-wins register. */
export interface Lww<T> {
  value: T;
  at: number;
  by: string;
}

export interface SubscriptionFact {
  status: SubscriptionStatus;
  mrr: number;
  currency: string;
  /** Items whose monthly amount is unknown (metered without usage): not in `mrr`, shown as unknown. */
  mrrUnknownItems?: number;
  hasPaymentMethod?: boolean;
  planId?: string;
  quantity?: number;
  startedAt?: number;
  trialStart?: number;
  trialEnd?: number;
  currentPeriodEnd?: number;
  cancelAtPeriodEnd: boolean;
  cancelAt?: number;
  canceledAt?: number;
  endedAt?: number;
  cancellation?: { reason?: string; feedback?: string; comment?: string };
  /** Downgrade / upgrade seen on the latest change. */
  lastChange?: { direction: "upgrade" | "downgrade" | "none"; previousMrr?: number; at: number };
  at: number;
  by: string;
}

export interface InvoiceFact {
  reason: "first" | "renewal" | "other";
  amountPaid: number;
  currency: string;
  paidAt: number;
  subscriptionId?: string;
  chargeId?: string;
  promotionCode?: string;
  meteredAmount?: number;
}

export interface PaymentFailureFact {
  invoiceId: string;
  attempt: number;
  at: number;
  amountDue: number;
  currency: string;
  nextAttemptAt: number | null;
}

export interface TicketFact {
  desk: string;
  /** Status changes keyed by `${at}:${status}`; reopen counts and durations derive from this log. */
  statusLog: Record<string, { at: number; status: TicketStatus }>;
  priority?: Lww<TicketPriority>;
  csat?: Lww<number>;
  slaBreached: boolean;
  openedAt?: number;
  firstResponseAt?: number;
  tags: string[];
  subject?: string;
}

/** [openedAt, last activity, flags (CLOSED_REOPENED | CLOSED_SLA | CLOSED_CLOSED | CLOSED_URGENT | CLOSED_HIGH), csat, csat time, subject, tags joined by "|"] */
export type ClosedTicket = [openedAt: number | null, lastActivity: number, flags: number, csat: number | null, csatAt: number | null, subject: string, tags: string];
export const CLOSED_REOPENED = 1;
export const CLOSED_SLA = 2;
/** The desk's last word was "closed" (not "solved"). */
export const CLOSED_CLOSED = 4;
/** Its priority was urgent / high: the urgent share of recent tickets reads it after the ticket is archived. */
export const CLOSED_URGENT = 8;
export const CLOSED_HIGH = 16;

export type DealField = "status" | "stage" | "amount" | "closeDate";

export interface SurveyAnswer {
  score: number;
  at: number;
  by: string;
  comment?: string;
  kind?: SurveyKind;
  scale?: { min: number; max: number };
}

/** One UTC day of product usage: distinct users (a bounded sketch) and distinct features used. */
export interface UsageDay {
  u: Sketch;
  /** Feature (event) names used that day, sorted; at most FEATURES_PER_DAY. */
  f: string[];
}

export interface CustomerState {
  profile: {
    name?: Lww<string>;
    domain?: Lww<string>;
    currency?: string;
    firstSeenAt?: number;
    referralCode?: string;
  };
  billing: {
    subscriptions: Record<string, SubscriptionFact>;
    invoices: Record<string, InvoiceFact>;
    failures: Record<string, PaymentFailureFact>;
    refunds: Record<string, { at: number; amount: number; invoiceId?: string }>;
    disputes: Record<string, { at: number; amount: number; chargeId: string }>;
    checkouts: Record<string, { at: number; promotionCode?: string; referralCode?: string; clientReferenceId?: string }>;
    trialEndingAt?: number;
    /** The newest trial_will_end: which subscription, when, and whether it had a payment method then. */
    trialEnding?: { subscriptionId: string; trialEnd: number; hasPaymentMethod?: boolean; at: number; by: string };
    /** Whether the customer has a default payment method (customer.created/updated). */
    paymentMethod?: Lww<boolean>;
    /** Earliest paid invoice (amount > 0) and earliest paid renewal: kept when old invoices are compacted away. */
    firstPaidAt?: number;
    firstRenewalAt?: number;
  };
  crm: {
    /** HubSpot company properties, each last-writer-wins by occurredAt. */
    properties: Record<string, Lww<string | null>>;
    deals: Record<
      string,
      {
        status?: "open" | "won" | "lost";
        stage?: string;
        amount?: number;
        closeDate?: number;
        at: number;
        /** Per-field clock: HubSpot sends one property per change, so each field is its own register. */
        fields?: Partial<Record<DealField, { at: number; by: string }>>;
      }
    >;
    contacts: Record<string, { role?: string; at: number; erased?: boolean; roleSet?: { at: number; by: string } }>;
    removed?: { at: number; mergedInto?: string };
  };
  support: {
    tickets: Record<string, TicketFact>;
    /** Tickets closed and quiet for ARCHIVE_AFTER_DAYS, in a compact form (what the model and metrics read). */
    closed?: Record<string, ClosedTicket>;
    /** The newest support rating of any ticket: kept when old tickets are compacted away. */
    latestCsat?: Lww<number>;
  };
  usage: {
    /** yyyy-mm-dd (UTC) -> distinct users and features that day; kept for USAGE_DAYS_KEPT days. */
    days: Record<string, UsageDay>;
    /**
     * Feature (event) name -> first and last time seen, and the start of the last day it was used among the
     * days compacted away (so a past day can still tell when it was last used); at most FEATURES_KEPT names.
     */
    events: Record<string, { firstAt: number; lastAt: number; prunedAt?: number }>;
    /** Distinct users ever seen (identify, group or track). */
    known?: Sketch;
    /** The latest time any user was seen. */
    lastSeenAt?: number;
    /** Users who have a role, by hashed user id (roles drive segments); at most ROLE_USERS_KEPT. */
    roles: Record<string, { role: string; at: number; by: string }>;
    seats?: Lww<number>;
    plan?: Lww<string>;
  };
  /** Survey answers by response id; `kind` absent = NPS. CSAT/CES answers keep their scale. */
  sentiment: { responses: Record<string, SurveyAnswer> };
  loyalty: { activities: Record<string, { kind: string; at: number }> };
}

/**
 * Bounds on everything kept per customer, so one customer's state stays well under D1's 2 MB row limit
 * whatever the account's size (docs/scale.md). Retentions count back from the newest fact of the same
 * kind, so compaction does not depend on the order facts arrive in; each is longer than the longest
 * window the health model reads (docs/health-model.md), so the score never changes because of it.
 */
export const USAGE_DAYS_KEPT = 120;
export const FEATURES_PER_DAY = 64;
export const FEATURES_KEPT = 256;
export const ROLE_USERS_KEPT = 200;
/** Closed tickets are kept while active within this many days of the newest ticket activity (support reads 120). */
export const TICKET_DAYS_KEPT = 130;
export const OPEN_TICKETS_KEPT = 500;
/** A closed ticket with no activity for this long (behind the newest ticket activity) is archived compactly. */
export const ARCHIVE_AFTER_DAYS = 7;
export const SUBJECT_KEPT_CHARS = 60;
export const TICKET_LOG_KEPT = 16;
/** Billing facts and survey answers: the model reads at most 365 days back. */
export const FACT_DAYS_KEPT = 400;
export const INVOICES_KEPT = 200;
export const FACTS_KEPT = 100;
export const RESPONSES_KEPT = 200;
export const SUBSCRIPTIONS_KEPT = 50;
export const CONTACTS_KEPT = 500;
export const DEALS_KEPT = 200;
export const PROPERTIES_KEPT = 500;
export const ACTIVITIES_KEPT = 500;

export function emptyState(): CustomerState {
  return {
    profile: {},
    billing: { subscriptions: {}, invoices: {}, failures: {}, refunds: {}, disputes: {}, checkouts: {} },
    crm: { properties: {}, deals: {}, contacts: {} },
    support: { tickets: {} },
    usage: { days: {}, events: {}, roles: {} },
    sentiment: { responses: {} },
    loyalty: { activities: {} },
  };
}

/** True when `(at, by)` is newer than the register; ties are broken by id so the winner never depends on arrival order. */
export function newer(at: number, by: string, reg: { at: number; by: string } | undefined): boolean {
  if (!reg) return true;
  if (at !== reg.at) return at > reg.at;
  return by > reg.by;
}

export function lww<T>(reg: Lww<T> | undefined, value: T, at: number, by: string): Lww<T> {
  return newer(at, by, reg) ? { value, at, by } : (reg as Lww<T>);
}

export function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

export function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

export const DAY = 86_400_000;

export function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
