import type { NormalizedEvent, Subject } from "../../src/core/events";
import type { Delivery } from "../source";
import { emailDomain } from "../source";
import { monthlyRevenue } from "./mrr";
import {
  chargeSchema,
  checkoutSessionSchema,
  customerSchema,
  disputeSchema,
  invoiceSchema,
  type StripeEvent,
  type StripeInvoice,
  type StripeSubscription,
  subscriptionPreviousSchema,
  subscriptionSchema,
  type UsedType,
  objectSchemas,
} from "./schemas";

const s2ms = (s: number | null | undefined) => (s == null ? undefined : s * 1000);
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;

function isUsed(type: string): type is UsedType {
  return Object.hasOwn(objectSchemas, type);
}

/** Maps one verified Stripe event to Tenure's facts. Pure and deterministic. */
export function normalizeStripe(ev: StripeEvent, raw: string): Delivery[] {
  const base = { dedupeKey: ev.id, vendorType: ev.type, occurredAt: ev.created * 1000, raw };
  if (!isUsed(ev.type)) return [{ ...base, events: [], ignoredReason: `Tenure does not use ${ev.type}` }];
  const { events, ignoredReason } = mapEvent(ev, ev.type);
  return [{ ...base, events, ignoredReason }];
}

function mapEvent(ev: StripeEvent, type: UsedType): { events: NormalizedEvent[]; ignoredReason?: string } {
  const common = { id: `stripe:${ev.id}`, source: "stripe" as const, occurredAt: ev.created * 1000 };
  const obj = ev.data.object;
  switch (type) {
    case "invoice.paid": {
      const inv = invoiceSchema.parse(obj);
      if (inv.amount_paid <= 0) return { events: [], ignoredReason: "$0 invoices are not purchases" };
      const reason = inv.billing_reason === "subscription_create" ? "first" : inv.billing_reason === "subscription_cycle" ? "renewal" : "other";
      const pay = invoicePayment(inv);
      return {
        events: [
          {
            ...common,
            type: "invoice.paid",
            subject: invoiceSubject(inv),
            invoiceId: inv.id,
            reason,
            amountPaid: inv.amount_paid,
            currency: inv.currency.toLowerCase(),
            ...clean({
              subscriptionId: invoiceSubscription(inv),
              periodEnd: s2ms(inv.lines?.data[0]?.period?.end ?? inv.period_end),
              chargeId: pay.chargeId,
              paymentIntentId: pay.paymentIntentId,
              promotionCode: promotionCodeOf(inv.discounts),
              discountIds: promotionCodeOf(inv.discounts) ? undefined : unresolvedDiscounts(inv.discounts),
              meteredAmount: meteredAmountOf(inv),
            }),
          },
        ],
      };
    }
    case "invoice.payment_failed": {
      const inv = invoiceSchema.parse(obj);
      return {
        events: [
          {
            ...common,
            type: "payment.failed",
            subject: invoiceSubject(inv),
            invoiceId: inv.id,
            attemptCount: inv.attempt_count,
            nextAttemptAt: s2ms(inv.next_payment_attempt) ?? null,
            amountDue: inv.amount_due,
            currency: inv.currency.toLowerCase(),
            ...clean({ subscriptionId: invoiceSubscription(inv) }),
          },
        ],
      };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return { events: [subscriptionChanged(ev, common)] };
    case "customer.subscription.trial_will_end": {
      const sub = subscriptionSchema.parse(obj);
      if (sub.trial_end == null) return { events: [], ignoredReason: "trial_will_end without trial_end" };
      const trial = { type: "trial.ending" as const, subscriptionId: sub.id, trialEnd: sub.trial_end * 1000, hasPaymentMethod: hasSubscriptionPaymentMethod(sub) };
      return { events: [{ ...common, subject: { stripeCustomerId: sub.customer }, ...trial }] };
    }
    case "checkout.session.completed": {
      const cs = checkoutSessionSchema.parse(obj);
      const email = cs.customer_details?.email ?? cs.customer_email ?? undefined;
      return {
        events: [
          {
            ...common,
            type: "checkout.completed",
            subject: clean({ stripeCustomerId: cs.customer ?? undefined, email, domain: emailDomain(email), name: cs.customer_details?.name ?? undefined }),
            sessionId: cs.id,
            amountTotal: cs.amount_total ?? 0,
            currency: (cs.currency ?? "usd").toLowerCase(),
            ...clean({
              clientReferenceId: cs.client_reference_id ?? undefined,
              promotionCode: promotionCodeOf(cs.discounts),
              referralCode: cs.metadata.referral_code,
              subscriptionId: cs.subscription ?? undefined,
            }),
          },
        ],
      };
    }
    case "charge.refunded": {
      const ch = chargeSchema.parse(obj);
      return {
        events: [
          {
            ...common,
            type: "charge.refunded",
            subject: clean({ stripeCustomerId: ch.customer ?? undefined, stripeChargeId: ch.id, stripePaymentIntentId: ch.payment_intent ?? undefined }),
            chargeId: ch.id,
            amountRefunded: ch.amount_refunded,
            currency: ch.currency.toLowerCase(),
            ...clean({ invoiceId: ch.invoice ?? undefined, paymentIntentId: ch.payment_intent ?? undefined }),
          },
        ],
      };
    }
    case "charge.dispute.created": {
      const dp = disputeSchema.parse(obj);
      return {
        events: [
          {
            ...common,
            type: "dispute.created",
            subject: clean({ stripeChargeId: dp.charge, stripePaymentIntentId: dp.payment_intent ?? undefined }),
            disputeId: dp.id,
            chargeId: dp.charge,
            amount: dp.amount,
            currency: dp.currency.toLowerCase(),
            ...clean({ reason: dp.reason ?? undefined }),
          },
        ],
      };
    }
    case "customer.created":
    case "customer.updated": {
      const cu = customerSchema.parse(obj);
      const email = cu.email ?? undefined;
      const m = cu.metadata;
      const subject: Subject = clean({
        stripeCustomerId: cu.id,
        hubspotCompanyId: m.hubspot_company_id,
        accountId: m.account_id,
        email,
        domain: emailDomain(email),
        name: cu.name ?? undefined,
      });
      return {
        events: [
          {
            ...common,
            type: "customer.profile",
            subject,
            metadata: m,
            hasPaymentMethod: Boolean(cu.invoice_settings?.default_payment_method ?? cu.default_source),
            ...clean({ name: cu.name ?? undefined, email, domain: emailDomain(email), currency: cu.currency?.toLowerCase(), referralCode: m.referral_code }),
          },
        ],
      };
    }
  }
}

function invoiceSubject(inv: StripeInvoice): Subject {
  const email = inv.customer_email ?? undefined;
  const pay = invoicePayment(inv);
  return clean({
    stripeCustomerId: inv.customer,
    email,
    domain: emailDomain(email),
    name: inv.customer_name ?? undefined,
    stripeChargeId: pay.chargeId,
    stripePaymentIntentId: pay.paymentIntentId,
  });
}

function invoiceSubscription(inv: StripeInvoice): string | undefined {
  return inv.parent?.subscription_details?.subscription ?? inv.subscription ?? undefined;
}

function invoicePayment(inv: StripeInvoice): { chargeId?: string; paymentIntentId?: string } {
  const p = inv.payments?.data.find((d) => d.payment?.charge || d.payment?.payment_intent)?.payment;
  return clean({ chargeId: inv.charge ?? p?.charge ?? undefined, paymentIntentId: inv.payment_intent ?? p?.payment_intent ?? undefined });
}

/** A subscription's own default payment method or source (the customer's default is read from customer events). */
function hasSubscriptionPaymentMethod(sub: StripeSubscription): boolean {
  return Boolean(sub.default_payment_method ?? sub.default_source);
}

/** The invoice's usage-based (metered) line amounts, or undefined when it has none. */
function meteredAmountOf(inv: StripeInvoice): number | undefined {
  const metered = (inv.lines?.data ?? []).filter((l) => l.price?.recurring?.usage_type === "metered" || l.plan?.usage_type === "metered");
  return metered.length ? metered.reduce((n, l) => n + (l.amount ?? 0), 0) : undefined;
}

/**
 * Basil+ invoices list `discounts` as ids ("di_…"); the promotion code is then only in the discount object,
 * which src/jobs/stripe-discounts.ts fetches. Undefined when there is nothing to resolve.
 */
function unresolvedDiscounts(discounts: StripeInvoice["discounts"]): string[] | undefined {
  const ids = (discounts ?? []).filter((d): d is string => typeof d === "string" && d.startsWith("di_")).slice(0, 20);
  return ids.length ? ids : undefined;
}

function promotionCodeOf(discounts: StripeInvoice["discounts"]): string | undefined {
  for (const d of discounts ?? []) if (typeof d === "object" && d.promotion_code) return d.promotion_code;
  return undefined;
}

function subscriptionChanged(ev: StripeEvent, common: { id: string; source: "stripe"; occurredAt: number }): NormalizedEvent {
  const sub: StripeSubscription = subscriptionSchema.parse(ev.data.object);
  const prev = ev.type === "customer.subscription.updated" ? subscriptionPreviousSchema.parse(ev.data.previous_attributes) : undefined;
  const items = sub.items.data;
  const revenue = monthlyRevenue(items);
  const ended = ev.type === "customer.subscription.deleted" || sub.status === "canceled" || sub.status === "incomplete_expired";
  const mrr = sub.status === "canceled" || sub.status === "incomplete_expired" ? 0 : revenue.mrr;
  const quantity = items.reduce((n, it) => n + (it.quantity ?? 1), 0);
  const periodEnd = sub.current_period_end ?? maxOf(items.map((i) => i.current_period_end));
  let change: Extract<NormalizedEvent, { type: "subscription.changed" }>["change"];
  if (prev && (prev.items || prev.status || prev.quantity != null || prev.plan)) {
    const previousMrr = prev.items ? monthlyRevenue(prev.items.data).mrr : undefined;
    const previousQuantity = prev.items ? prev.items.data.reduce((n, it) => n + (it.quantity ?? 1), 0) : (prev.quantity ?? undefined);
    const direction: "upgrade" | "downgrade" | "none" = previousMrr === undefined || previousMrr === mrr ? "none" : mrr > previousMrr ? "upgrade" : "downgrade";
    const prevStatus = subscriptionSchema.shape.status.safeParse(prev.status);
    change = { direction, ...clean({
      previousMrr,
      previousQuantity,
      previousPlanId: prev.items?.data[0]?.price?.id ?? prev.plan?.id ?? undefined,
      previousStatus: prevStatus.success ? prevStatus.data : undefined,
    }) };
  }
  const cd = sub.cancellation_details;
  const cancellation = cd && (cd.reason || cd.feedback || cd.comment) ? clean({ reason: cd.reason ?? undefined, feedback: cd.feedback ?? undefined, comment: cd.comment ?? undefined }) : undefined;
  return {
    ...common,
    type: "subscription.changed",
    subject: { stripeCustomerId: sub.customer },
    subscriptionId: sub.id,
    status: ev.type === "customer.subscription.deleted" ? "canceled" : sub.status,
    mrr: ev.type === "customer.subscription.deleted" ? 0 : mrr,
    currency: sub.currency.toLowerCase(),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    hasPaymentMethod: hasSubscriptionPaymentMethod(sub),
    ...clean({
      mrrUnknownItems: ended ? undefined : revenue.unknownItems || undefined,
      planId: items[0]?.price?.id ?? items[0]?.plan?.id ?? undefined,
      quantity,
      startedAt: s2ms(sub.start_date ?? sub.created),
      trialStart: s2ms(sub.trial_start),
      trialEnd: s2ms(sub.trial_end),
      currentPeriodEnd: s2ms(periodEnd),
      cancelAt: s2ms(sub.cancel_at),
      canceledAt: s2ms(sub.canceled_at),
      endedAt: s2ms(sub.ended_at ?? (ev.type === "customer.subscription.deleted" ? ev.created : undefined)),
      cancellation,
      change,
    }),
  };
}

function maxOf(xs: readonly (number | null | undefined)[]): number | undefined {
  const v = xs.filter((x): x is number => typeof x === "number");
  return v.length ? Math.max(...v) : undefined;
}
