import Stripe from "stripe";
import { stripeClient } from "../../connectors/stripe";
import { normalizedEventSchema, type EventOf } from "../core/events";
import { loadConfig, type Env } from "../env";
import type { ReconcileDeps } from "../reconcile";
import { log } from "../log";
import { enqueue } from "./enqueue";
import { inboxRow, saveDeliveries, toEnqueue } from "../store/inbox";
import type { Delivery } from "../../webhooks/source";

/**
 * Promotion codes of invoices whose webhook listed its discounts as ids ("di_…"). Off the webhook path: the
 * hourly cron resolves a bounded number of invoices through Stripe's API and stores what it learns as one more
 * Stripe delivery (`<event id>:discounts`): the same invoice.paid fact with its promotion code, applied like any
 * webhook, so referral attribution (which reads the first invoice's code) sees it. That delivery also marks the
 * invoice as done: an invoice Stripe no longer knows (404) or whose discounts carry no code is stored as ignored,
 * with the reason, and never fetched again. A 429 or an outage stops the run; the next one continues.
 */

export const DISCOUNTS_PER_RUN = 10;
/** Older invoices are not looked up: their referral window is long past. */
const LOOKBACK_MS = 30 * 86_400_000;

export interface DiscountRun {
  resolved: number;
  /** Stripe answered 429 (or failed): the run stopped there; `retryAfterMs` from Retry-After when given. */
  stopped?: { status: number | null; retryAfterMs?: number };
}

type InvoicePaid = EventOf<"invoice.paid">;

/** Invoice events with unresolved discount ids and no resolution stored yet, oldest first. */
async function pending(db: D1Database, now: number, limit: number): Promise<{ id: string; event: InvoicePaid }[]> {
  const { results } = await db
    .prepare(
      `SELECT i.id, i.normalized FROM inbox_events i
       WHERE i.source = 'stripe' AND i.vendor_type = 'invoice.paid' AND i.received_at >= ? AND i.normalized LIKE '%"discountIds"%'
         AND NOT EXISTS (SELECT 1 FROM inbox_events r WHERE r.id = i.id || ':discounts')
       ORDER BY i.received_at, i.id LIMIT ?`,
    )
    .bind(now - LOOKBACK_MS, limit)
    .all<{ id: string; normalized: string }>();
  return results.flatMap((r) => {
    const events = normalizedEventSchema.array().safeParse(JSON.parse(r.normalized));
    const event = events.success ? events.data.find((e): e is InvoicePaid => e.type === "invoice.paid" && !!e.discountIds?.length) : undefined;
    return event ? [{ id: r.id, event }] : [];
  });
}

/** The first promotion code among the invoice's expanded discounts. */
export function promotionCodeOfDiscounts(discounts: unknown): string | undefined {
  if (!Array.isArray(discounts)) return undefined;
  for (const d of discounts) {
    if (typeof d !== "object" || d === null) continue;
    const code = (d as { promotion_code?: unknown }).promotion_code;
    if (typeof code === "string" && code) return code;
    if (typeof code === "object" && code !== null && typeof (code as { id?: unknown }).id === "string") return (code as { id: string }).id;
  }
  return undefined;
}

function resolution(inboxId: string, ev: InvoicePaid, found: { promotionCode?: string; reason?: string }, raw: string): Delivery {
  const dedupeKey = `${inboxId.slice("stripe:".length)}:discounts`;
  const base = { dedupeKey, vendorType: "invoice.paid", occurredAt: ev.occurredAt, raw };
  if (!found.promotionCode) return { ...base, events: [], ignoredReason: found.reason ?? "the invoice's discounts carry no promotion code" };
  const { discountIds: _resolved, ...rest } = ev;
  return { ...base, events: [{ ...rest, id: `stripe:${dedupeKey}`, promotionCode: found.promotionCode }] };
}

export async function resolveStripeDiscounts(deps: ReconcileDeps, limit = DISCOUNTS_PER_RUN): Promise<DiscountRun> {
  if (!deps.cfg.STRIPE_SECRET_KEY) return { resolved: 0 };
  const now = deps.now();
  const todo = await pending(deps.db, now, limit);
  if (todo.length === 0) return { resolved: 0 };
  const stripe = stripeClient({ cfg: deps.cfg, fetch: deps.fetch, now: deps.now });
  const deliveries: Delivery[] = [];
  let stopped: DiscountRun["stopped"];
  for (const { id, event } of todo) {
    try {
      // https://docs.stripe.com/api/invoices/retrieve with expand[]=discounts (https://docs.stripe.com/expand)
      const invoice = await stripe.invoices.retrieve(event.invoiceId, { expand: ["discounts"] });
      const promotionCode = promotionCodeOfDiscounts(invoice.discounts);
      deliveries.push(resolution(id, event, { promotionCode }, JSON.stringify({ id: invoice.id, discounts: invoice.discounts })));
    } catch (err) {
      const status = err instanceof Stripe.errors.StripeError ? (err.statusCode ?? null) : null;
      if (status === 404) {
        deliveries.push(resolution(id, event, { reason: `Stripe has no invoice ${event.invoiceId} (404)` }, JSON.stringify({ id: event.invoiceId, status })));
        continue;
      }
      const retryAfter = err instanceof Stripe.errors.StripeError ? Number(err.headers?.["retry-after"]) : NaN;
      stopped = { status, ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) };
      log("warn", "Stripe discount lookup stopped; the next run continues", { status, invoiceId: event.invoiceId });
      break;
    }
  }
  const rows = deliveries.map((d) => inboxRow("stripe", d, now, "stripe:discounts"));
  const inserted = await saveDeliveries(deps.db, rows);
  await enqueue(deps.events, toEnqueue(rows, inserted).map((eventId) => ({ eventId })));
  return { resolved: deliveries.length, ...(stopped ? { stopped } : {}) };
}

/** The hourly cron's call: never throws (a failure is logged and the next hour continues). */
export async function resolveStripeDiscountsHourly(env: Env, now: number): Promise<void> {
  try {
    await resolveStripeDiscounts({ db: env.DB, cfg: loadConfig(env), fetch: (input, init) => fetch(input, init), now: () => now, events: env.EVENTS });
  } catch (err) {
    log("warn", "Stripe discount lookups failed; the next hour tries again", { error: String(err) });
  }
}
