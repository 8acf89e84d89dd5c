import { z } from "zod";

/**
 * Actions Tenure asks the outside world to take. Each has a deterministic id (its idempotency key),
 * built by the planner from the business fact it answers, so a replay can never create a second one.
 */

export const destinationSchema = z.enum(["hubspot", "slack", "stripe"]);
export type Destination = z.infer<typeof destinationSchema>;

export const hubspotPropertiesSchema = z.object({
  type: z.literal("hubspot.properties"),
  companyId: z.string(),
  /** HubSpot internal property name -> value, as strings (HubSpot's wire format). */
  properties: z.record(z.string(), z.string()),
});

export const hubspotNoteSchema = z.object({
  type: z.literal("hubspot.note"),
  companyId: z.string(),
  body: z.string().max(65_536),
  timestamp: z.number().int(),
});

export const slackAlertSchema = z.object({
  type: z.literal("slack.alert"),
  rule: z.enum(["entered_red", "score_drop", "first_value_missed", "cancel_scheduled", "payment_failed"]),
  customerId: z.string(),
  customerName: z.string(),
  score: z.number(),
  band: z.enum(["green", "yellow", "red"]),
  previousScore: z.number().nullable(),
  previousBand: z.enum(["green", "yellow", "red"]).nullable(),
  drivers: z.array(z.object({ factor: z.string(), impact: z.number(), detail: z.string() })),
  mrr: z.number().int(),
  currency: z.string().optional(),
  renewalDate: z.number().int().nullable(),
  hubspotCompanyId: z.string().optional(),
  /** The company owner in HubSpot; the Slack connector looks up their email to mention them. */
  hubspotOwnerId: z.string().optional(),
  ownerEmail: z.string().optional(),
  summary: z.string(),
});

export const slackRecoverySchema = z.object({
  type: z.literal("slack.recovery"),
  customerId: z.string(),
  customerName: z.string(),
  score: z.number(),
  /** The outbox id of the alert whose thread this goes into. */
  alertActionId: z.string(),
});

/** Rewrites a posted alert after someone acknowledged or snoozed it in the dashboard. */
export const slackAlertUpdateSchema = z.object({
  type: z.literal("slack.alert_update"),
  /** The outbox id of the posted alert. */
  alertActionId: z.string(),
  actor: z.string(),
  /** Null for an acknowledge; the snooze's end otherwise. */
  snoozedUntil: z.number().int().nullable(),
  /** The alert as planned, so the update renders the same message the alert was posted with. */
  alert: slackAlertSchema,
});

export const stripeCreditSchema = z.object({
  type: z.literal("stripe.credit"),
  stripeCustomerId: z.string(),
  /** Minor units; negative is a credit to the customer (Stripe's sign convention). */
  amount: z.number().int(),
  currency: z.string(),
  description: z.string(),
  metadata: z.record(z.string(), z.string()).default({}),
});

export const stripeSubscriptionDiscountSchema = z.object({
  type: z.literal("stripe.subscription_discount"),
  subscriptionId: z.string(),
  coupon: z.string(),
  metadata: z.record(z.string(), z.string()).default({}),
});

export const stripePromotionCodeSchema = z.object({
  type: z.literal("stripe.promotion_code"),
  coupon: z.string(),
  code: z.string(),
  stripeCustomerId: z.string().optional(),
  metadata: z.record(z.string(), z.string()).default({}),
});

export const actionPayloadSchema = z.discriminatedUnion("type", [
  hubspotPropertiesSchema,
  hubspotNoteSchema,
  slackAlertSchema,
  slackRecoverySchema,
  slackAlertUpdateSchema,
  stripeCreditSchema,
  stripeSubscriptionDiscountSchema,
  stripePromotionCodeSchema,
]);
export type ActionPayload = z.infer<typeof actionPayloadSchema>;
export type ActionType = ActionPayload["type"];

export interface Action {
  /** Deterministic: the idempotency key sent to the vendor. */
  id: string;
  customerId: string | null;
  payload: ActionPayload;
}

export function destinationOf(type: ActionType): Destination {
  return destinationSchema.parse(type.split(".")[0]);
}
