import type { z } from "zod";
import type { NormalizedEvent, Subject } from "../../src/core/events";
import type { Delivery } from "../source";
import { emailDomain } from "../source";
import {
  chargeSchema,
  checkoutSessionSchema,
  customerSchema,
  disputeSchema,
  invoiceSchema,
  type StripeEvent,
  type StripeInvoice,
  type StripeSubscription,
  subscriptionItemSchema,
  subscriptionPreviousSchema,
  subscriptionSchema,
  type UsedType,
  objectSchemas,
} from "./schemas";

type Item = z.infer<typeof subscriptionItemSchema>;
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
      return {
        events: [{ ...common, type: "trial.ending", subject: { stripeCustomerId: sub.customer }, subscriptionId: sub.id, trialEnd: sub.trial_end * 1000 }],
      };
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

function promotionCodeOf(discounts: StripeInvoice["discounts"]): string | undefined {
  for (const d of discounts ?? []) if (typeof d === "object" && d.promotion_code) return d.promotion_code;
  return undefined;
}

/** Monthly recurring revenue of a set of items, in minor units. */
export function monthlyRevenue(items: readonly Item[]): number {
  let total = 0;
  for (const it of items) {
    const amount = it.price?.unit_amount ?? it.plan?.amount ?? 0;
    const interval = it.price?.recurring?.interval ?? it.plan?.interval ?? "month";
    const count = it.price?.recurring?.interval_count ?? it.plan?.interval_count ?? 1;
    const perMonth = { day: 365 / 12, week: 52 / 12, month: 1, year: 1 / 12 }[interval as "day" | "week" | "month" | "year"] ?? 1;
    total += (amount * (it.quantity ?? 1) * perMonth) / count;
  }
  return Math.round(total);
}

function subscriptionChanged(ev: StripeEvent, common: { id: string; source: "stripe"; occurredAt: number }): NormalizedEvent {
  const sub: StripeSubscription = subscriptionSchema.parse(ev.data.object);
  const prev = ev.type === "customer.subscription.updated" ? subscriptionPreviousSchema.parse(ev.data.previous_attributes) : undefined;
  const items = sub.items.data;
  const mrr = sub.status === "canceled" || sub.status === "incomplete_expired" ? 0 : monthlyRevenue(items);
  const quantity = items.reduce((n, it) => n + (it.quantity ?? 1), 0);
  const periodEnd = sub.current_period_end ?? maxOf(items.map((i) => i.current_period_end));
  let change: Extract<NormalizedEvent, { type: "subscription.changed" }>["change"];
  if (prev && (prev.items || prev.status || prev.quantity != null || prev.plan)) {
    const previousMrr = prev.items ? monthlyRevenue(prev.items.data) : undefined;
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
    ...clean({
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
