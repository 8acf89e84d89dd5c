import { billingEvents, customerObject } from "./billing";
import { type CrmRecords, crmEvents } from "./crm";
import { usageEvents } from "./product";
import { Rng } from "./random";
import { voiceEvents } from "./support";
import { type Account, buildAccounts, DAY, DEMO_OWNERS, type DemoEvent, type DemoSource } from "./world";

/**
 * The demo's quarter, generated from a seed: ~50 accounts with personas, and every vendor event of
 * their last 90 days. Pure and deterministic: the same seed and `now` give the same bytes. Nothing
 * is signed here; the runner signs each request when it sends it (signatures must be fresh).
 */

export interface DemoOptions {
  seed: number;
  customers: number;
  now: number;
  /** Stripe events of the last days held back from delivery: the daily reconciliation recovers them. */
  missed?: number;
}

/** One HTTP request to /webhooks/:source. HubSpot batches several events per request. */
export interface DemoDelivery {
  source: DemoSource;
  wave: DemoEvent["wave"];
  at: number;
  kinds: string[];
  body: string;
}

export interface DemoQuarter {
  accounts: Account[];
  deliveries: DemoDelivery[];
  /** Every Stripe event, delivered or not, as Stripe's event list holds it. */
  stripeEvents: Record<string, unknown>[];
  /** Ids of the Stripe events never delivered as webhooks. */
  missed: string[];
  /** Who referred whom (by domain); the referred account's checkout carries the referrer's code. */
  referrals: { referrer: string; referred: string; stripeCustomerId: string }[];
  seeds: { hubspot: CrmRecords; stripe: { customers: Record<string, unknown>[]; subscriptions: Record<string, unknown>[] } };
}

const HUBSPOT_BATCH = 100;

export function generateQuarter(opts: DemoOptions): DemoQuarter {
  const rng = new Rng(opts.seed);
  const now = opts.now;
  const accounts = buildAccounts(rng, opts.customers, now);
  const events: DemoEvent[] = [];
  const hubspot: CrmRecords = { owners: DEMO_OWNERS, companies: [], contacts: [], deals: [] };
  const tickets = { next: 40_001 };
  for (const a of accounts) {
    const crm = crmEvents(rng, a, now);
    events.push(...crm.events, ...billingEvents(rng, a, now), ...usageEvents(rng, a, now), ...voiceEvents(rng, a, now, tickets));
    hubspot.companies.push(...crm.records.companies);
    hubspot.contacts.push(...crm.records.contacts);
    hubspot.deals.push(...crm.records.deals);
  }
  events.sort((x, y) => x.wave - y.wave || x.at - y.at);

  const stripeEvents = events.filter((e) => e.source === "stripe").map((e) => e.payload);
  const missed = pickMissed(rng, events, now, opts.missed ?? 3);
  const delivered = events.filter((e) => !(e.source === "stripe" && missed.includes(String(e.payload.id))));
  return {
    accounts,
    deliveries: toDeliveries(delivered),
    stripeEvents,
    missed,
    referrals: accounts.flatMap((a) => (a.referredBy ? [{ referrer: a.referredBy, referred: a.domain, stripeCustomerId: a.stripeCustomerId }] : [])),
    seeds: { hubspot, stripe: { customers: accounts.map(customerObject), subscriptions: latestSubscriptions(events) } },
  };
}

/** Each subscription as Stripe holds it now: the object of its latest event. */
function latestSubscriptions(events: DemoEvent[]): Record<string, unknown>[] {
  const latest = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const object = (e.payload.data as { object?: Record<string, unknown> } | undefined)?.object;
    if (e.source === "stripe" && object?.object === "subscription") latest.set(String(object.id), object);
  }
  return [...latest.values()];
}

/** Recent renewals, failures and subscription changes: the kind of webhook an outage would lose. */
function pickMissed(rng: Rng, events: DemoEvent[], now: number, n: number): string[] {
  const recent = events.filter((e) => e.source === "stripe" && e.wave === 4 && e.at > now - 2.5 * DAY && e.kind !== "customer.subscription.created");
  return rng.shuffle(recent).slice(0, n).map((e) => String(e.payload.id));
}

function toDeliveries(events: DemoEvent[]): DemoDelivery[] {
  const out: DemoDelivery[] = [];
  let batch: DemoEvent[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    out.push({ source: "hubspot", wave: batch[0]!.wave, at: batch[0]!.at, kinds: batch.map((e) => e.kind), body: JSON.stringify(batch.map((e) => e.payload)) });
    batch = [];
  };
  for (const e of events) {
    if (e.source !== "hubspot") {
      out.push({ source: e.source, wave: e.wave, at: e.at, kinds: [e.kind], body: JSON.stringify(e.payload) });
      continue;
    }
    if (batch.length === HUBSPOT_BATCH || (batch.length > 0 && batch[0]!.wave !== e.wave)) flush();
    batch.push(e);
  }
  flush();
  return out.sort((x, y) => x.wave - y.wave || x.at - y.at);
}

export type { Account, DemoEvent, DemoSource };
