import type { SubscriptionStatus, TicketPriority, TicketStatus } from "./events";

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

export type DealField = "status" | "stage" | "amount" | "closeDate";

export interface UsageDay {
  users: string[];
  events: string[];
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
  support: { tickets: Record<string, TicketFact> };
  usage: {
    /** yyyy-mm-dd (UTC) -> distinct users and event names that day; kept for USAGE_DAYS_KEPT days. */
    days: Record<string, UsageDay>;
    /** event name -> first/last time seen and distinct users. */
    events: Record<string, { firstAt: number; lastAt: number; users: string[] }>;
    users: Record<string, { lastAt: number; role?: string; roleSet?: { at: number; by: string } }>;
    seats?: Lww<number>;
    plan?: Lww<string>;
  };
  sentiment: { responses: Record<string, { score: number; at: number; by: string; comment?: string }> };
  loyalty: { activities: Record<string, { kind: string; at: number }> };
}

export const USAGE_DAYS_KEPT = 120;

export function emptyState(): CustomerState {
  return {
    profile: {},
    billing: { subscriptions: {}, invoices: {}, failures: {}, refunds: {}, disputes: {}, checkouts: {} },
    crm: { properties: {}, deals: {}, contacts: {} },
    support: { tickets: {} },
    usage: { days: {}, events: {}, users: {} },
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

export function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
