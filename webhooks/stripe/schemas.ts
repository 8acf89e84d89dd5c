import { z } from "zod";

/**
 * Lenient schemas for the parts of Stripe's objects Tenure reads. Fields Tenure does not read are
 * dropped from the parsed value (not copied: an invoice has dozens) and kept in the stored raw body; the
 * fields we use are required where Stripe always sends them. Both pre-basil and basil+ shapes are accepted.
 * https://docs.stripe.com/api/events/object
 */

const id = z.string().min(1);
const ref = z.union([id, z.object({ id })]).transform((v) => (typeof v === "string" ? v : v.id));
const ts = z.number().int().nonnegative();
const metadata = z.record(z.string(), z.string()).nullish().transform((m) => m ?? {});

const discountRef = z.union([
  z.string(),
  z.object({ promotion_code: ref.nullish(), coupon: z.object({ id }).nullish() }),
]);

export const invoiceSchema = z.object({
  id,
  object: z.literal("invoice"),
  customer: ref,
  customer_email: z.string().nullish(),
  customer_name: z.string().nullish(),
  billing_reason: z.string().nullish(),
  amount_paid: z.number().int(),
  amount_due: z.number().int(),
  currency: z.string(),
  attempt_count: z.number().int().nonnegative().default(0),
  next_payment_attempt: ts.nullish(),
  status: z.string().nullish(),
  period_end: ts.nullish(),
  /** pre-basil */
  subscription: ref.nullish(),
  charge: ref.nullish(),
  payment_intent: ref.nullish(),
  /** basil+ */
  parent: z
    .looseObject({ subscription_details: z.object({ subscription: ref.nullish() }).nullish() })
    .nullish(),
  payments: z
    .looseObject({
      data: z.array(z.object({ payment: z.object({ charge: ref.nullish(), payment_intent: ref.nullish() }).nullish() })),
    })
    .nullish(),
  discounts: z.array(discountRef).nullish(),
  lines: z
    .looseObject({
      data: z.array(
        z.object({
          period: z.object({ end: ts, start: ts }).nullish(),
          amount: z.number().int().nullish(),
          price: z.object({ recurring: z.object({ usage_type: z.string().nullish() }).nullish() }).nullish(),
          plan: z.object({ usage_type: z.string().nullish() }).nullish(),
        }),
      ),
    })
    .nullish(),
});
export type StripeInvoice = z.infer<typeof invoiceSchema>;

/** Tiers are sent only when the price was fetched with `expand[]=...tiers`; a tiered price without them is unknown. */
const tierSchema = z.object({ up_to: z.number().int().positive().nullable(), unit_amount: z.number().int().nullish(), flat_amount: z.number().int().nullish() });

const priceSchema = z.object({
  id: z.string().optional(),
  unit_amount: z.number().int().nullish(),
  currency: z.string().optional(),
  billing_scheme: z.string().nullish(),
  tiers_mode: z.enum(["graduated", "volume"]).nullish(),
  tiers: z.array(tierSchema).nullish(),
  recurring: z
    .object({
      interval: z.enum(["day", "week", "month", "year"]),
      interval_count: z.number().int().positive().default(1),
      usage_type: z.string().nullish(),
    })
    .nullish(),
});
export type StripePrice = z.infer<typeof priceSchema>;

export const subscriptionItemSchema = z.object({
  price: priceSchema.nullish(),
  plan: z
    .object({
      id: z.string().optional(),
      amount: z.number().int().nullish(),
      interval: z.string().optional(),
      interval_count: z.number().int().optional(),
      usage_type: z.string().nullish(),
      billing_scheme: z.string().nullish(),
    })
    .nullish(),
  quantity: z.number().int().nonnegative().nullish(),
  current_period_end: ts.nullish(),
});

export const subscriptionSchema = z.object({
  id,
  object: z.literal("subscription"),
  customer: ref,
  status: z.enum(["trialing", "active", "past_due", "unpaid", "paused", "canceled", "incomplete", "incomplete_expired"]),
  currency: z.string(),
  items: z.object({ data: z.array(subscriptionItemSchema) }),
  start_date: ts.nullish(),
  created: ts.nullish(),
  trial_start: ts.nullish(),
  trial_end: ts.nullish(),
  cancel_at_period_end: z.boolean().default(false),
  cancel_at: ts.nullish(),
  canceled_at: ts.nullish(),
  ended_at: ts.nullish(),
  current_period_end: ts.nullish(),
  default_payment_method: ref.nullish(),
  default_source: ref.nullish(),
  cancellation_details: z
    .looseObject({ reason: z.string().nullish(), feedback: z.string().nullish(), comment: z.string().nullish() })
    .nullish(),
  metadata,
});
export type StripeSubscription = z.infer<typeof subscriptionSchema>;

export const subscriptionPreviousSchema = z
  .looseObject({
    items: z.object({ data: z.array(subscriptionItemSchema) }).optional(),
    status: z.string().optional(),
    quantity: z.number().int().nullish(),
    plan: z.object({ id: z.string().optional() }).nullish(),
  })
  .optional();

export const checkoutSessionSchema = z.object({
  id,
  object: z.literal("checkout.session"),
  customer: ref.nullish(),
  customer_email: z.string().nullish(),
  customer_details: z.object({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
  client_reference_id: z.string().nullish(),
  subscription: ref.nullish(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  discounts: z.array(discountRef).nullish(),
  metadata,
});

export const chargeSchema = z.object({
  id,
  object: z.literal("charge"),
  customer: ref.nullish(),
  invoice: ref.nullish(),
  payment_intent: ref.nullish(),
  amount_refunded: z.number().int(),
  currency: z.string(),
  billing_details: z.object({ email: z.string().nullish() }).nullish(),
});

export const disputeSchema = z.object({
  id,
  object: z.literal("dispute"),
  charge: ref,
  payment_intent: ref.nullish(),
  amount: z.number().int(),
  currency: z.string(),
  reason: z.string().nullish(),
});

export const customerSchema = z.object({
  id,
  object: z.literal("customer"),
  email: z.string().nullish(),
  name: z.string().nullish(),
  currency: z.string().nullish(),
  default_source: ref.nullish(),
  invoice_settings: z.object({ default_payment_method: ref.nullish() }).nullish(),
  metadata,
});

/** Which object schema applies to each event type Tenure uses. */
export const objectSchemas = {
  "invoice.paid": invoiceSchema,
  "invoice.payment_failed": invoiceSchema,
  "customer.subscription.created": subscriptionSchema,
  "customer.subscription.updated": subscriptionSchema,
  "customer.subscription.deleted": subscriptionSchema,
  "customer.subscription.trial_will_end": subscriptionSchema,
  "checkout.session.completed": checkoutSessionSchema,
  "charge.refunded": chargeSchema,
  "charge.dispute.created": disputeSchema,
  "customer.created": customerSchema,
  "customer.updated": customerSchema,
} as const;
export type UsedType = keyof typeof objectSchemas;

export const eventEnvelopeSchema = z.looseObject({
  id: z.string().startsWith("evt_"),
  object: z.literal("event"),
  type: z.string().min(1),
  created: ts,
  api_version: z.string().nullish(),
  livemode: z.boolean().optional(),
  data: z.looseObject({ object: z.looseObject({}), previous_attributes: z.looseObject({}).optional() }),
});

/** The envelope plus the object checked against the schema for its type (issues carry the full path). */
export const stripeEventSchema = eventEnvelopeSchema.superRefine((ev, ctx) => {
  const schema = (objectSchemas as Record<string, z.ZodType>)[ev.type];
  if (!schema) return;
  const r = schema.safeParse(ev.data.object);
  if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: ["data", "object", ...issue.path] } as never);
  if (ev.type === "customer.subscription.updated") {
    const p = subscriptionPreviousSchema.safeParse(ev.data.previous_attributes);
    if (!p.success) for (const issue of p.error.issues) ctx.addIssue({ ...issue, path: ["data", "previous_attributes", ...issue.path] } as never);
  }
});
export type StripeEvent = z.infer<typeof eventEnvelopeSchema>;
