import { compactState } from "./compact";
import { entry, setEntry } from "./keyed";
import { mergeSketches } from "./sketch";
import { restoreTicket } from "./tickets";
import {
  type ClosedTicket,
  type CustomerState,
  type DealField,
  FEATURES_PER_DAY,
  type Lww,
  type SubscriptionFact,
  type TicketFact,
  maxDefined,
  minDefined,
  newer,
  union,
} from "./state";

/**
 * The state of one customer made of two: the join of two folds, field by field, with the same rule the reducer
 * uses for each kind of fact (keyed maps, last-writer-wins by the vendor's clock, min/max, set union, sketch
 * union), then compacted. For facts that commute this equals folding both customers' events into one state.
 *
 * Why merge states instead of re-applying facts: the inbox keeps normalized facts only for each source's dedupe
 * window (docs/sources.md#retention), so a customer's full history exists only in its bounded state. Every
 * field of that state was built to join (see state.ts), so the join is exact where the fold is order-insensitive.
 * `a` is the survivor: where the reducer keeps the first value it saw (currency, referral code), `a` wins.
 */
export function mergeStates(a: CustomerState, b: CustomerState): CustomerState {
  const s: CustomerState = {
    profile: {
      ...otherFields(a.profile, b.profile),
      ...stripUndefined({
        name: lwwJoin(a.profile.name, b.profile.name),
        domain: lwwJoin(a.profile.domain, b.profile.domain),
        currency: a.profile.currency ?? b.profile.currency,
        firstSeenAt: minDefined(a.profile.firstSeenAt, b.profile.firstSeenAt),
        referralCode: a.profile.referralCode ?? b.profile.referralCode,
      }),
    },
    billing: {
      ...otherFields(a.billing, b.billing),
      subscriptions: joinMaps(a.billing.subscriptions, b.billing.subscriptions, joinSubscription),
      invoices: joinMaps(a.billing.invoices, b.billing.invoices, (x, y) => (y.paidAt > x.paidAt ? y : x)),
      failures: joinMaps(a.billing.failures, b.billing.failures, (x) => x),
      refunds: joinMaps(a.billing.refunds, b.billing.refunds, (x, y) =>
        stripUndefined({ at: Math.max(x.at, y.at), amount: Math.max(x.amount, y.amount), invoiceId: x.invoiceId ?? y.invoiceId }),
      ),
      disputes: joinMaps(a.billing.disputes, b.billing.disputes, (x) => x),
      checkouts: joinMaps(a.billing.checkouts, b.billing.checkouts, (x) => x),
      ...stripUndefined({
        trialEndingAt: maxDefined(a.billing.trialEndingAt, b.billing.trialEndingAt),
        firstPaidAt: minDefined(a.billing.firstPaidAt, b.billing.firstPaidAt),
        firstRenewalAt: minDefined(a.billing.firstRenewalAt, b.billing.firstRenewalAt),
        trialEnding: joinTrialEnding(a.billing.trialEnding, b.billing.trialEnding),
      }),
    },
    crm: {
      ...otherFields(a.crm, b.crm),
      properties: joinMaps(a.crm.properties, b.crm.properties, (x, y) => lwwJoin(x, y)!),
      deals: joinMaps(a.crm.deals, b.crm.deals, joinDeal),
      contacts: joinMaps(a.crm.contacts, b.crm.contacts, joinContact),
      ...stripUndefined({ removed: joinRemoved(a.crm.removed, b.crm.removed) }),
    },
    support: joinSupport(a.support, b.support),
    usage: {
      ...otherFields(a.usage, b.usage),
      days: joinMaps(a.usage.days, b.usage.days, (x, y) => ({ u: mergeSketches([x.u, y.u]), f: union(x.f, y.f).slice(0, FEATURES_PER_DAY) })),
      events: joinMaps(a.usage.events, b.usage.events, (x, y) =>
        stripUndefined({ firstAt: Math.min(x.firstAt, y.firstAt), lastAt: Math.max(x.lastAt, y.lastAt), prunedAt: maxDefined(x.prunedAt, y.prunedAt) }),
      ),
      roles: joinMaps(a.usage.roles, b.usage.roles, (x, y) => (newer(y.at, y.by, x) ? y : x)),
      ...stripUndefined({
        known: a.usage.known && b.usage.known ? mergeSketches([a.usage.known, b.usage.known]) : (a.usage.known ?? b.usage.known),
        lastSeenAt: maxDefined(a.usage.lastSeenAt, b.usage.lastSeenAt),
        seats: lwwJoin(a.usage.seats, b.usage.seats),
        plan: lwwJoin(a.usage.plan, b.usage.plan),
      }),
    },
    sentiment: {
      ...otherFields(a.sentiment, b.sentiment),
      responses: joinMaps(a.sentiment.responses, b.sentiment.responses, (x, y) => {
        const [w, o] = newer(y.at, y.by, x) ? [y, x] : [x, y];
        return stripUndefined({ ...w, comment: w.comment ?? o.comment });
      }),
    },
    loyalty: { ...otherFields(a.loyalty, b.loyalty), activities: joinMaps(a.loyalty.activities, b.loyalty.activities, (x) => x) },
  };
  compactState(s);
  return s;
}

/**
 * Fields a section gains before this join learns them: a register (`at` and `by`) joins by the newer one,
 * anything else keeps the survivor's value when it has one. The named fields above override these.
 */
function otherFields<T extends object>(a: T, b: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (x === undefined || y === undefined) out[k] = structuredClone(x ?? y);
    else out[k] = structuredClone(isRegister(x) && isRegister(y) && newer(y.at, y.by, x) ? y : x);
  }
  return out as Partial<T>;
}

function isRegister(v: unknown): v is { at: number; by: string } {
  return typeof v === "object" && v !== null && typeof (v as { at?: unknown }).at === "number" && typeof (v as { by?: unknown }).by === "string";
}

/** The trial that ends last, and for one end the newest report of it (as the reducer keeps it). */
function joinTrialEnding<T extends { trialEnd: number; at: number; by: string }>(x: T | undefined, y: T | undefined): T | undefined {
  if (!x) return y;
  if (!y) return x;
  return y.trialEnd > x.trialEnd || (y.trialEnd === x.trialEnd && newer(y.at, y.by, x)) ? y : x;
}

function lwwJoin<T>(x: Lww<T> | undefined, y: Lww<T> | undefined): Lww<T> | undefined {
  if (!x) return y;
  if (!y) return x;
  return newer(y.at, y.by, x) ? y : x;
}

/** Both maps' keys; a key in both is joined with `both(a's, b's)`. Copies, so neither input is shared. */
function joinMaps<T>(a: Record<string, T>, b: Record<string, T>, both: (x: T, y: T) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(a)) setEntry(out, k, structuredClone(v));
  for (const [k, v] of Object.entries(b)) {
    const x = entry(out, k);
    setEntry(out, k, x === undefined ? structuredClone(v) : structuredClone(both(x, v)));
  }
  return out;
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The newer snapshot, completed from the older one the way the reducer completes it (mergeOlderSubscription). */
function joinSubscription(x: SubscriptionFact, y: SubscriptionFact): SubscriptionFact {
  const [w, o] = newer(y.at, y.by, x) ? [y, x] : [x, y];
  const lastChange = !w.lastChange ? o.lastChange : !o.lastChange ? w.lastChange : laterChange(w.lastChange, o.lastChange);
  return stripUndefined({
    ...w,
    startedAt: minDefined(w.startedAt, o.startedAt),
    trialStart: w.trialStart ?? o.trialStart,
    trialEnd: w.trialEnd ?? o.trialEnd,
    currentPeriodEnd: w.currentPeriodEnd ?? o.currentPeriodEnd,
    cancellation: w.cancellation ?? o.cancellation,
    lastChange,
  });
}

type Change = NonNullable<SubscriptionFact["lastChange"]>;
function laterChange(p: Change, q: Change): Change {
  return q.at > p.at || (q.at === p.at && q.direction > p.direction) ? q : p;
}

type Deal = CustomerState["crm"]["deals"][string];
const DEAL_FIELDS: DealField[] = ["status", "stage", "amount", "closeDate"];

/** Each deal field is its own register: the newer side's value wins field by field. */
function joinDeal(x: Deal, y: Deal): Deal {
  const out: Deal = { at: Math.max(x.at, y.at) };
  const fields: NonNullable<Deal["fields"]> = {};
  for (const k of DEAL_FIELDS) {
    const fx = x.fields?.[k];
    const fy = y.fields?.[k];
    const fromY = y[k] !== undefined && (x[k] === undefined || (fy !== undefined && newer(fy.at, fy.by, fx)));
    const src = fromY ? y : x;
    const clock = fromY ? fy : fx;
    if (src[k] !== undefined) (out as Record<string, unknown>)[k] = src[k];
    if (clock) fields[k] = clock;
  }
  if (x.fields || y.fields) out.fields = fields;
  return out;
}

type Contact = CustomerState["crm"]["contacts"][string];
function joinContact(x: Contact, y: Contact): Contact {
  if (x.erased || y.erased) return { at: Math.max(x.erased ? x.at : -Infinity, y.erased ? y.at : -Infinity), erased: true };
  const out: Contact = { at: Math.max(x.at, y.at) };
  const w = y.roleSet && newer(y.roleSet.at, y.roleSet.by, x.roleSet) ? y : x.roleSet ? x : y;
  if (w.role !== undefined) out.role = w.role;
  if (w.roleSet) out.roleSet = w.roleSet;
  return out;
}

type Removed = CustomerState["crm"]["removed"];
function joinRemoved(x: Removed, y: Removed): Removed {
  if (!x) return y;
  if (!y) return x;
  return newer(y.at, y.mergedInto ?? "", { at: x.at, by: x.mergedInto ?? "" }) ? y : x;
}

function joinTicket(x: TicketFact, y: TicketFact): TicketFact {
  return stripUndefined({
    desk: x.desk,
    statusLog: { ...x.statusLog, ...y.statusLog },
    priority: lwwJoin(x.priority, y.priority),
    csat: lwwJoin(x.csat, y.csat),
    slaBreached: x.slaBreached || y.slaBreached,
    openedAt: minDefined(x.openedAt, y.openedAt),
    firstResponseAt: minDefined(x.firstResponseAt, y.firstResponseAt),
    tags: union(x.tags, y.tags),
    subject: x.subject ?? y.subject,
  });
}

function joinClosed(x: ClosedTicket, y: ClosedTicket): ClosedTicket {
  const csatFromY = y[4] !== null && (x[4] === null || y[4] > x[4]);
  const opened = x[0] === null ? y[0] : y[0] === null ? x[0] : Math.min(x[0], y[0]);
  const tags = union(x[6] ? x[6].split("|") : [], y[6] ? y[6].split("|") : []).join("|");
  return [opened, Math.max(x[1], y[1]), x[2] | y[2], csatFromY ? y[3] : x[3], csatFromY ? y[4] : x[4], x[5] || y[5], tags];
}

/** A ticket live on one side and archived on the other is restored first, as a later event for it would be. */
function joinSupport(a: CustomerState["support"], b: CustomerState["support"]): CustomerState["support"] {
  const closedA = { ...(a.closed ?? {}) };
  const closedB = { ...(b.closed ?? {}) };
  const liveA = { ...a.tickets };
  const liveB = { ...b.tickets };
  const restore = (live: Record<string, TicketFact>, closed: Record<string, ClosedTicket>, otherLive: Record<string, TicketFact>) => {
    for (const key of Object.keys(closed)) {
      const t = entry(otherLive, key);
      if (!t) continue;
      setEntry(live, key, restoreTicket(t.desk, closed[key]!));
      delete closed[key];
    }
  };
  restore(liveA, closedA, liveB);
  restore(liveB, closedB, liveA);
  const closed = joinMaps(closedA, closedB, joinClosed);
  return stripUndefined({
    tickets: joinMaps(liveA, liveB, joinTicket),
    closed: Object.keys(closed).length ? closed : undefined,
    latestCsat: lwwJoin(a.latestCsat, b.latestCsat),
  });
}
