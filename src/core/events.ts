import { z } from "zod";
import { dataRecord } from "./keyed";

/**
 * Tenure's own event union. Every webhook source maps the vendor's shapes onto these facts;
 * nothing downstream of webhooks/ ever sees a vendor payload.
 */

export const sourceNameSchema = z.enum([
  "stripe",
  "hubspot",
  "zendesk",
  "intercom",
  "freshdesk",
  "helpscout",
  "segment",
  "delighted",
  "typeform",
  "api",
  /** Declared sources (plugins/*.json): no TypeScript of their own. */
  "paddle",
  "front",
]);
export type SourceName = z.infer<typeof sourceNameSchema>;

/** Declared sources (bundled in plugins/ or stored through POST /api/plugins) take any safe name no built-in takes. */
export const declaredSourceNameSchema = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, "must be 2 to 40 lowercase letters, digits and dashes, starting with a letter");

/** Identity hints: whatever the source knows about whose fact this is. Resolved to a customer in the pipeline. */
export const subjectSchema = z.object({
  stripeCustomerId: z.string().optional(),
  /** A Stripe charge or payment intent: resolves events (disputes) that carry no customer. */
  stripeChargeId: z.string().optional(),
  stripePaymentIntentId: z.string().optional(),
  hubspotCompanyId: z.string().optional(),
  /** A HubSpot merge: this company was merged into `hubspotCompanyId` (src/core/crm-merge.ts). */
  hubspotMergedCompanyId: z.string().optional(),
  hubspotContactId: z.string().optional(),
  /** HubSpot deals and tickets: their company comes from the associations API (connectors/hubspot/associations.ts). */
  hubspotDealId: z.string().optional(),
  hubspotTicketId: z.string().optional(),
  /** Zendesk requester and organization ids: looked up through Zendesk's API (connectors/zendesk.ts). */
  zendeskUserId: z.string().optional(),
  zendeskOrganizationId: z.string().optional(),
  segmentGroupId: z.string().optional(),
  accountId: z.string().optional(),
  userId: z.string().optional(),
  email: z.string().optional(),
  domain: z.string().optional(),
  name: z.string().optional(),
});
export type Subject = z.infer<typeof subjectSchema>;

const money = z.number().int();
/**
 * A time in ms since epoch. Ingest checks every field declared with it against a plausible range
 * (core/time.ts); the schema itself stays lenient so that rows stored before that check still parse.
 */
export const timeSchema = z.number().int().nonnegative();
const ms = timeSchema;

export const subscriptionStatusSchema = z.enum([
  "trialing",
  "active",
  "past_due",
  "unpaid",
  "paused",
  "canceled",
  "incomplete",
  "incomplete_expired",
]);
export type SubscriptionStatus = z.infer<typeof subscriptionStatusSchema>;

export const ticketStatusSchema = z.enum(["open", "pending", "solved", "closed"]);
export const ticketPrioritySchema = z.enum(["low", "normal", "high", "urgent"]);
export type TicketStatus = z.infer<typeof ticketStatusSchema>;
export type TicketPriority = z.infer<typeof ticketPrioritySchema>;

const base = {
  /** Tenure event id: `${source}:${dedupe key}`; unique in the inbox. */
  id: z.string().min(1),
  source: z.union([sourceNameSchema, declaredSourceNameSchema]),
  /** When the fact happened, by the vendor's clock (ms since epoch). */
  occurredAt: ms,
  subject: subjectSchema,
};

export const invoicePaidSchema = z.object({
  ...base,
  type: z.literal("invoice.paid"),
  invoiceId: z.string(),
  /** first = first paid invoice of a subscription; renewal = subscription_cycle. */
  reason: z.enum(["first", "renewal", "other"]),
  amountPaid: money,
  currency: z.string(),
  subscriptionId: z.string().optional(),
  periodEnd: ms.optional(),
  chargeId: z.string().optional(),
  paymentIntentId: z.string().optional(),
  promotionCode: z.string().optional(),
  /** Discount ids (`di_…`) whose promotion code the payload does not carry: resolved later through Stripe's API. */
  discountIds: z.array(z.string()).max(20).optional(),
  /** Sum of the invoice's metered (usage-based) line amounts: the MRR of metered prices. */
  meteredAmount: money.optional(),
});

export const paymentFailedSchema = z.object({
  ...base,
  type: z.literal("payment.failed"),
  invoiceId: z.string(),
  attemptCount: z.number().int().nonnegative(),
  nextAttemptAt: ms.nullable(),
  amountDue: money,
  currency: z.string(),
  subscriptionId: z.string().optional(),
});

export const subscriptionChangedSchema = z.object({
  ...base,
  type: z.literal("subscription.changed"),
  subscriptionId: z.string(),
  status: subscriptionStatusSchema,
  /** Monthly recurring revenue in minor units of `currency`. */
  mrr: money,
  currency: z.string(),
  /** Items whose monthly amount Stripe's payload does not state (metered without usage): `mrr` leaves them out. */
  mrrUnknownItems: z.number().int().positive().optional(),
  /** The subscription has its own default payment method (or source). */
  hasPaymentMethod: z.boolean().optional(),
  planId: z.string().optional(),
  quantity: z.number().int().nonnegative().optional(),
  startedAt: ms.optional(),
  trialStart: ms.optional(),
  trialEnd: ms.optional(),
  currentPeriodEnd: ms.optional(),
  cancelAtPeriodEnd: z.boolean(),
  cancelAt: ms.optional(),
  canceledAt: ms.optional(),
  endedAt: ms.optional(),
  cancellation: z
    .object({ reason: z.string().optional(), feedback: z.string().optional(), comment: z.string().optional() })
    .optional(),
  /** What changed, from Stripe's previous_attributes. */
  change: z
    .object({
      previousMrr: money.optional(),
      previousQuantity: z.number().int().optional(),
      previousPlanId: z.string().optional(),
      previousStatus: subscriptionStatusSchema.optional(),
      direction: z.enum(["upgrade", "downgrade", "none"]),
    })
    .optional(),
});

export const trialEndingSchema = z.object({
  ...base,
  type: z.literal("trial.ending"),
  subscriptionId: z.string(),
  trialEnd: ms,
  /** The subscription has a default payment method (or source) as the trial ends; absent when unknown. */
  hasPaymentMethod: z.boolean().optional(),
});

export const checkoutCompletedSchema = z.object({
  ...base,
  type: z.literal("checkout.completed"),
  sessionId: z.string(),
  clientReferenceId: z.string().optional(),
  promotionCode: z.string().optional(),
  referralCode: z.string().optional(),
  amountTotal: money,
  currency: z.string(),
  subscriptionId: z.string().optional(),
});

export const chargeRefundedSchema = z.object({
  ...base,
  type: z.literal("charge.refunded"),
  chargeId: z.string(),
  invoiceId: z.string().optional(),
  paymentIntentId: z.string().optional(),
  amountRefunded: money,
  currency: z.string(),
});

export const disputeCreatedSchema = z.object({
  ...base,
  type: z.literal("dispute.created"),
  disputeId: z.string(),
  chargeId: z.string(),
  amount: money,
  currency: z.string(),
  reason: z.string().optional(),
});

export const customerProfileSchema = z.object({
  ...base,
  type: z.literal("customer.profile"),
  name: z.string().optional(),
  email: z.string().optional(),
  domain: z.string().optional(),
  currency: z.string().optional(),
  referralCode: z.string().optional(),
  /** The customer has a default payment method for invoices (or a default source). */
  hasPaymentMethod: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).default({}),
});

export const companyChangedSchema = z.object({
  ...base,
  type: z.literal("company.changed"),
  companyId: z.string(),
  created: z.boolean().default(false),
  /** Property name -> new value (null = cleared), as of occurredAt. */
  properties: dataRecord(z.string().nullable()),
});

export const companyRemovedSchema = z.object({
  ...base,
  type: z.literal("company.removed"),
  companyId: z.string(),
  /** Set when the company was merged into another one. */
  mergedInto: z.string().optional(),
});

export const contactChangedSchema = z.object({
  ...base,
  type: z.literal("contact.changed"),
  contactId: z.string(),
  email: z.string().optional(),
  role: z.string().optional(),
  properties: dataRecord(z.string().nullable()).default({}),
});

export const contactErasedSchema = z.object({
  ...base,
  type: z.literal("contact.erased"),
  contactId: z.string(),
});

export const dealChangedSchema = z.object({
  ...base,
  type: z.literal("deal.changed"),
  dealId: z.string(),
  stage: z.string().optional(),
  status: z.enum(["open", "won", "lost"]).optional(),
  amount: z.number().optional(),
  closeDate: ms.optional(),
});

export const ticketChangedSchema = z.object({
  ...base,
  type: z.literal("ticket.changed"),
  desk: z.enum(["zendesk", "intercom", "freshdesk", "helpscout", "hubspot", "front"]),
  ticketId: z.string(),
  status: ticketStatusSchema.optional(),
  priority: ticketPrioritySchema.optional(),
  /** Satisfaction normalised to 0..100 (good=100, bad=0; 1–5 stars mapped linearly). */
  csat: z.number().min(0).max(100).optional(),
  slaBreached: z.boolean().optional(),
  openedAt: ms.optional(),
  firstResponseAt: ms.optional(),
  tags: z.array(z.string()).optional(),
  /** The ticket's subject line (not `subject`, which is the identity hint every event carries). */
  title: z.string().optional(),
});

export const usageTrackedSchema = z.object({
  ...base,
  type: z.literal("usage.tracked"),
  userId: z.string(),
  event: z.string(),
});

export const userIdentifiedSchema = z.object({
  ...base,
  type: z.literal("user.identified"),
  userId: z.string(),
  email: z.string().optional(),
  role: z.string().optional(),
  name: z.string().optional(),
});

export const accountGroupedSchema = z.object({
  ...base,
  type: z.literal("account.grouped"),
  groupId: z.string(),
  userId: z.string().optional(),
  name: z.string().optional(),
  domain: z.string().optional(),
  seats: z.number().int().nonnegative().optional(),
  plan: z.string().optional(),
});

/** What a survey asked: NPS (0–10 likelihood to recommend), CSAT (satisfaction) or CES (effort; higher = easier). */
export const surveyKindSchema = z.enum(["nps", "csat", "ces"]);
export type SurveyKind = z.infer<typeof surveyKindSchema>;

export const surveyRespondedSchema = z
  .object({
    ...base,
    type: z.literal("survey.responded"),
    responseId: z.string(),
    /** The answer on the survey's own scale: 0–10 for NPS; `scale` for CSAT and CES. */
    score: z.number().int().min(0).max(10),
    /** Absent = nps (answers stored before CSAT was read). */
    kind: surveyKindSchema.optional(),
    /** The scale's lowest and highest answers (CSAT/CES), e.g. 1–5. */
    scale: z.object({ min: z.number().int().min(0), max: z.number().int().max(10) }).optional(),
    comment: z.string().optional(),
  })
  .refine((e) => !e.scale || (e.scale.min < e.scale.max && e.score >= e.scale.min && e.score <= e.scale.max), {
    message: "score must lie on its scale",
    path: ["score"],
  });

export const loyaltyActivitySchema = z.object({
  ...base,
  type: z.literal("loyalty.activity"),
  /** e.g. review_submitted, social_share: mapped to points by the rewards config. */
  kind: z.string(),
  ref: z.string(),
});

export const normalizedEventSchema = z.discriminatedUnion("type", [
  invoicePaidSchema,
  paymentFailedSchema,
  subscriptionChangedSchema,
  trialEndingSchema,
  checkoutCompletedSchema,
  chargeRefundedSchema,
  disputeCreatedSchema,
  customerProfileSchema,
  companyChangedSchema,
  companyRemovedSchema,
  contactChangedSchema,
  contactErasedSchema,
  dealChangedSchema,
  ticketChangedSchema,
  usageTrackedSchema,
  userIdentifiedSchema,
  accountGroupedSchema,
  surveyRespondedSchema,
  loyaltyActivitySchema,
]);
export type NormalizedEvent = z.infer<typeof normalizedEventSchema>;
export type EventType = NormalizedEvent["type"];
export type EventOf<T extends EventType> = Extract<NormalizedEvent, { type: T }>;

export function assertNever(x: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(x)}`);
}
