import Stripe from "stripe";
import { z } from "zod";
import { isTransient, type ConnectorDeps } from "../../connectors/connector";
import { stripeClient } from "../../connectors/stripe";
import { contentKey } from "../../webhooks/delivery";
import type { Delivery } from "../../webhooks/source";
import { normalizeStripe } from "../../webhooks/stripe/normalize";
import { objectSchemas, type StripeEvent, type UsedType } from "../../webhooks/stripe/schemas";
import { backfillKey } from "./ingest";
import { type Importer, type Page, PAGE_SIZE, VendorError } from "./types";

/**
 * Stripe records become the event Stripe would have sent for their current state (a customer is a
 * customer.updated, a paid invoice an invoice.paid, ...) and go through the webhook normalizer, so a
 * backfilled record and a webhook produce the same facts.
 */

const recordSchema = z.looseObject({
  id: z.string().min(1),
  object: z.string(),
  created: z.number().int().nonnegative().optional(),
  status: z.string().nullish(),
  attempt_count: z.number().int().nullish(),
  amount_refunded: z.number().int().nullish(),
});
type StripeRecord = z.infer<typeof recordSchema>;

const seconds = z.number().int().nonnegative();
const timesSchema = z.looseObject({
  start_date: seconds.nullish(),
  current_period_start: seconds.nullish(),
  canceled_at: seconds.nullish(),
  ended_at: seconds.nullish(),
  items: z.looseObject({ data: z.array(z.looseObject({ current_period_start: seconds.nullish() })) }).nullish(),
  status_transitions: z.looseObject({ paid_at: seconds.nullish(), finalized_at: seconds.nullish() }).nullish(),
});

/** The webhook type matching a record's current state, or why the record is not a fact. */
function eventTypeOf(object: string, r: StripeRecord): { type: UsedType } | { ignored: string } {
  switch (object) {
    case "customers":
      return { type: "customer.updated" };
    case "subscriptions":
      return { type: r.status === "canceled" ? "customer.subscription.deleted" : "customer.subscription.updated" };
    case "charges":
      return (r.amount_refunded ?? 0) > 0 ? { type: "charge.refunded" } : { ignored: "the charge has no refund" };
    case "disputes":
      return { type: "charge.dispute.created" };
    case "invoices":
      if (r.status === "paid") return { type: "invoice.paid" };
      if (r.status === "open" && (r.attempt_count ?? 0) > 0) return { type: "invoice.payment_failed" };
      return { ignored: `a ${r.status ?? "draft"} invoice is neither a payment nor a failed one` };
    default:
      return { ignored: `Tenure does not import Stripe ${object}` };
  }
}

/** When the record's current state came about, as near as the record tells (epoch seconds). */
function asOf(type: UsedType, r: StripeRecord, raw: Record<string, unknown>): number | undefined {
  const t = timesSchema.safeParse(raw);
  const x = t.success ? t.data : {};
  if (type === "invoice.paid") return x.status_transitions?.paid_at ?? r.created;
  if (type === "invoice.payment_failed") return x.status_transitions?.finalized_at ?? r.created;
  if (type.startsWith("customer.subscription.")) {
    const times = [r.created, x.start_date, x.current_period_start, x.canceled_at, x.ended_at, ...(x.items?.data ?? []).map((i) => i.current_period_start)];
    const known = times.filter((v): v is number => typeof v === "number");
    return known.length ? Math.max(...known) : undefined;
  }
  return r.created;
}

/** One Stripe record as one inbox delivery, with a dedupe key that repeats while its facts do. */
export function stripeRecordDelivery(object: string, record: unknown, now: number): Delivery {
  const raw = JSON.stringify(record);
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) return unreadable(object, raw, now, parsed.error.issues[0]!);
  const r = parsed.data;
  const kind = eventTypeOf(object, r);
  const occurredAt = (r.created ?? Math.floor(now / 1000)) * 1000;
  if ("ignored" in kind) {
    return { dedupeKey: backfillKey(r.id, { ignored: kind.ignored }), vendorType: `${r.object}.${r.status ?? "unknown"}`, occurredAt, events: [], ignoredReason: kind.ignored, raw };
  }
  const check = objectSchemas[kind.type].safeParse(r);
  if (!check.success) return unreadable(object, raw, now, check.error.issues[0]!);
  const created = asOf(kind.type, r, r) ?? Math.floor(now / 1000);
  const envelope = (id: string): StripeEvent => ({ id, object: "event", type: kind.type, created, data: { object: r } });
  const probe = normalizeStripe(envelope("backfill"), "")[0]!;
  const key = backfillKey(r.id, { type: kind.type, events: probe.events.map(({ id: _id, occurredAt: _at, ...fact }) => fact), ignored: probe.ignoredReason ?? null });
  const event = envelope(key);
  return normalizeStripe(event, JSON.stringify(event))[0]!;
}

function unreadable(object: string, raw: string, now: number, issue: { path: PropertyKey[]; message: string }): Delivery {
  const reason = `unreadable Stripe ${object} record at ${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`;
  return { dedupeKey: `backfill:unreadable:${contentKey(raw)}`, vendorType: object, occurredAt: now, events: [], ignoredReason: reason, raw };
}

type ListParams = { limit: number; starting_after?: string };

const refundSchema = z.looseObject({ id: z.string().min(1), charge: z.union([z.string(), z.looseObject({ id: z.string().min(1) })]).nullish() });

/**
 * Refunds are imported as the charge they refunded (Stripe's charge.refunded carries the charge, with
 * amount_refunded the sum of its refunds), expanded in the same request; a charge refunded twice is one
 * fact as it stands, so its second refund imports nothing new.
 */
function refundedCharge(record: unknown, now: number): Delivery {
  const r = refundSchema.safeParse(record);
  if (r.success && r.data.charge && typeof r.data.charge === "object") return stripeRecordDelivery("charges", r.data.charge, now);
  const raw = JSON.stringify(record);
  const reason = r.success ? "the refund has no charge (a refund of a non-card payment, or the charge was not expanded)" : "unreadable Stripe refund record";
  return { dedupeKey: `backfill:refund:${contentKey(raw)}`, vendorType: "refund", occurredAt: now, events: [], ignoredReason: reason, raw };
}

function list(stripe: Stripe, object: string, params: ListParams): Promise<{ data: { id: string }[]; has_more: boolean }> {
  switch (object) {
    case "refunds":
      // https://docs.stripe.com/api/refunds/list (expand: https://docs.stripe.com/expand)
      return stripe.refunds.list({ ...params, expand: ["data.charge"] });
    case "disputes":
      // https://docs.stripe.com/api/disputes/list
      return stripe.disputes.list(params);
    case "customers":
      // https://docs.stripe.com/api/customers/list
      return stripe.customers.list(params);
    case "subscriptions":
      // https://docs.stripe.com/api/subscriptions/list (canceled ones are listed only with status=all)
      return stripe.subscriptions.list({ ...params, status: "all" });
    case "invoices":
      // https://docs.stripe.com/api/invoices/list
      return stripe.invoices.list(params);
    default:
      throw new VendorError(`Tenure does not import Stripe ${object}`, false);
  }
}

export function describeStripeError(err: unknown): VendorError {
  if (err instanceof VendorError) return err;
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode;
    const retryable = status === undefined || isTransient(status);
    return new VendorError(`Stripe ${status ?? "connection"} ${err.type}${err.code ? `/${err.code}` : ""}: ${err.message}`, retryable);
  }
  return new VendorError(`Stripe unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
}

export const stripeImporter: Importer = {
  disabledReason: (cfg) => (cfg.STRIPE_SECRET_KEY ? null : "set STRIPE_SECRET_KEY (a restricted key with read access is enough)"),
  async fetchPage(deps: ConnectorDeps, object: string, cursor: string | null): Promise<Page> {
    let page: Awaited<ReturnType<typeof list>>;
    try {
      page = await list(stripeClient(deps), object, { limit: PAGE_SIZE, ...(cursor ? { starting_after: cursor } : {}) });
    } catch (err) {
      throw describeStripeError(err);
    }
    const now = deps.now();
    const deliveries = page.data.map((record) => (object === "refunds" ? refundedCharge(record, now) : stripeRecordDelivery(object, record, now)));
    const last = page.data[page.data.length - 1];
    return { deliveries, next: page.has_more && last ? last.id : null };
  },
};
