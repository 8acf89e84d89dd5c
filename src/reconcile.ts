import { stripeClient } from "../connectors/stripe";
import { contentKey } from "../webhooks/delivery";
import type { Delivery } from "../webhooks/source";
import { normalizeStripe } from "../webhooks/stripe/normalize";
import { objectSchemas, stripeEventSchema } from "../webhooks/stripe/schemas";
import { describeStripeError } from "./backfill/stripe";
import type { Config, EventMessage } from "./env";
import { log } from "./log";
import { enqueue } from "./jobs/enqueue";
import { inboxRow, saveDeliveries, toEnqueue } from "./store/inbox";

/**
 * Daily reconciliation: Stripe keeps every event for 30 days, so the events of those 30 days are
 * listed and any Tenure never received (a webhook lost to an outage, a misconfigured endpoint) is fed
 * through the same path as a webhook: same id (`stripe:<evt id>`), same normalizer, same dedupe.
 */

/** Stripe lists events of the last 30 days: the whole of it is checked, paged across queue messages. */
export const RECONCILE_WINDOW_DAYS = 30;
const PAGE_SIZE = 100;
/** Stops a runaway listing (e.g. a fake or a proxy that never ends its pages). */
const MAX_PAGES = 200;
const USED_TYPES = Object.keys(objectSchemas);
/** Stripe takes at most 20 `types`; past that, every event is listed and the unused ones are stored as ignored. */
const TYPES_FILTER = USED_TYPES.length <= 20 ? { types: USED_TYPES } : {};

export interface ReconcileDeps {
  db: D1Database;
  cfg: Config;
  fetch: typeof fetch;
  now: () => number;
  events: Queue<EventMessage>;
}

export interface ReconcileResult {
  listed: number;
  /** Events Tenure had never received, now in the inbox. */
  recovered: number;
  recoveredIds: string[];
  /** The last event id listed when `maxPages` ran out first: the next call continues after it. */
  next: string | null;
  skipped?: string;
}

export interface ReconcileOptions {
  /** The end of the window (ms); the daily job passes its start time so that every page lists the same window. */
  asOf?: number;
  /** Continue a listing after this event id (Stripe's `starting_after`). */
  startingAfter?: string;
  maxPages?: number;
}

/** One listed event as the webhook route would have stored it. */
export function listedEventDelivery(event: unknown, now: number): Delivery {
  const raw = JSON.stringify(event);
  const parsed = stripeEventSchema.safeParse(event);
  if (parsed.success) return normalizeStripe(parsed.data, raw)[0]!;
  const id = typeof event === "object" && event !== null && typeof (event as { id?: unknown }).id === "string" ? (event as { id: string }).id : `unreadable:${contentKey(raw)}`;
  const issue = parsed.error.issues[0]!;
  return { dedupeKey: id, vendorType: "unknown", occurredAt: now, events: [], ignoredReason: `unreadable Stripe event at ${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`, raw };
}

export async function reconcileStripe(deps: ReconcileDeps, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  if (!deps.cfg.STRIPE_SECRET_KEY) return { listed: 0, recovered: 0, recoveredIds: [], next: null, skipped: "STRIPE_SECRET_KEY is not set" };
  const stripe = stripeClient({ cfg: deps.cfg, fetch: deps.fetch, now: deps.now });
  const now = deps.now();
  const since = Math.floor((opts.asOf ?? now) / 1000) - RECONCILE_WINDOW_DAYS * 86_400;
  const result: ReconcileResult = { listed: 0, recovered: 0, recoveredIds: [], next: null };
  let startingAfter = opts.startingAfter;
  for (let page = 0; page < Math.min(opts.maxPages ?? MAX_PAGES, MAX_PAGES); page++) {
    let list;
    try {
      // https://docs.stripe.com/api/events/list (newest first; `types` takes up to 20 names)
      list = await stripe.events.list({ created: { gte: since }, ...TYPES_FILTER, limit: PAGE_SIZE, ...(startingAfter ? { starting_after: startingAfter } : {}) });
    } catch (err) {
      throw describeStripeError(err);
    }
    const rows = list.data.map((ev) => inboxRow("stripe", listedEventDelivery(ev, now), now, "reconcile:stripe"));
    const inserted = await saveDeliveries(deps.db, rows);
    const fresh = toEnqueue(rows, inserted);
    await enqueue(deps.events, fresh.map((eventId) => ({ eventId })));
    result.listed += rows.length;
    result.recovered += inserted.length;
    result.recoveredIds.push(...inserted);
    const last = list.data[list.data.length - 1];
    if (!list.has_more || !last) {
      startingAfter = undefined;
      break;
    }
    startingAfter = last.id;
  }
  result.next = opts.maxPages !== undefined ? (startingAfter ?? null) : null;
  if (result.recovered > 0) log("warn", "reconciliation recovered Stripe events that never arrived as webhooks", { recovered: result.recovered, listed: result.listed });
  return result;
}
