import { z } from "zod";

/**
 * Actions Tenure asks the outside world to take. Each has a deterministic id (its idempotency key),
 * built by the planner from the business fact it answers, so a replay can never create a second one.
 */

export const destinationSchema = z.enum(["hubspot", "slack", "stripe", "zendesk", "webhook", "declared"]);
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

/**
 * One page of HubSpot's owners list (100 per page), so every owner has a name and an email before any alert
 * needs one: the dashboard shows names, and "my accounts" matches the signed-in email. The page that finds a
 * next cursor plans the following page.
 */
export const hubspotOwnersPageSchema = z.object({
  type: z.literal("hubspot.owners_page"),
  /** HubSpot's paging cursor; null for the first page. */
  after: z.string().max(200).nullable(),
  /** yyyy-mm-dd of the sync: one sync per day, so its ids are stable and a replay plans nothing new. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

/** The action for one owners page; its id is the sync's day and the cursor. */
export function ownersPageAction(day: string, after: string | null): Action {
  return { id: `hubspot.owners:${day}:${after ?? "first"}`, customerId: null, payload: { type: "hubspot.owners_page", after, day } };
}

/** Which companies a HubSpot deal, ticket or contact is associated with (v4 associations API). */
export const hubspotAssociationsSchema = z.object({
  type: z.literal("hubspot.associations"),
  objectType: z.enum(["deals", "tickets", "contacts"]),
  objectId: z.string().regex(/^\d+$/),
});

/** A Zendesk requester (its email's domain) or organization (its domain_names), for tickets that carry ids only. */
export const zendeskLookupSchema = z.object({
  type: z.literal("zendesk.lookup"),
  object: z.enum(["user", "organization"]),
  objectId: z.string().regex(/^\d+$/),
});

export const slackAlertSchema = z.object({
  type: z.literal("slack.alert"),
  rule: z.enum(["entered_red", "score_drop", "first_value_missed", "cancel_scheduled", "payment_failed", "trial_ending_no_payment_method"]),
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
  /** The account's segments, for routing by segment (src/core/alert-routing.ts). */
  segments: z.array(z.string()).optional(),
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

/** Where a digest goes: a channel, or the owner's DM by email; the fallback channel if that fails. */
export const digestRouteSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.enum(["owner_channel", "segment_channel", "fallback"]), channel: z.string() }),
  z.object({ kind: z.literal("owner_dm"), email: z.string() }),
]);

/** At most this many accounts per digest message: one section each, inside Slack's 50 blocks. */
export const DIGEST_MAX_ITEMS = 45;

/** One message of the daily digest (src/jobs/digest.ts): the alerts held for one recipient. */
export const slackDigestSchema = z.object({
  type: z.literal("slack.digest"),
  /** The UTC day of the digest, yyyy-mm-dd. */
  day: z.string(),
  route: digestRouteSchema,
  part: z.number().int().positive(),
  parts: z.number().int().positive(),
  items: z
    .array(
      z.object({
        alertId: z.string(),
        customerId: z.string(),
        customerName: z.string(),
        rule: slackAlertSchema.shape.rule,
        score: z.number(),
        band: z.enum(["green", "yellow", "red"]),
        driver: z.string().nullable(),
        hubspotCompanyId: z.string().optional(),
      }),
    )
    .min(1)
    .max(DIGEST_MAX_ITEMS),
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

/** What Tenure tells a Standard Webhooks receiver (connectors/webhook-out.ts); `data` is the event's JSON body. */
/** A flat JSON object: what an outbound event carries (kept flat so that the OpenAPI document can describe it). */
const flatDataSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const outboundEventTypeSchema = z.enum(["score.changed", "band.changed", "stage.changed", "alert.raised", "reward.credited"]);
export type OutboundEventType = z.infer<typeof outboundEventTypeSchema>;
export const webhookEventSchema = z.object({
  type: z.literal("webhook.event"),
  event: outboundEventTypeSchema,
  /** When the change happened (ms): the body's `timestamp`. */
  at: z.number().int(),
  data: flatDataSchema,
});

/** One event for a declared destination (plugins/*.json, connectors/declared.ts), by the declaration's name. */
export const declaredRequestSchema = z.object({
  type: z.literal("declared.request"),
  plugin: z.string(),
  /** The destination holds state: one row per account, replaced by each newer value (like hubspot.properties). */
  coalesce: z.boolean().optional(),
  /** A batching destination: the row waits this long (ms) for others to join its request. */
  windowMs: z.number().int().nonnegative().optional(),
  event: outboundEventTypeSchema,
  at: z.number().int(),
  data: flatDataSchema,
});

export const actionPayloadSchema = z.discriminatedUnion("type", [
  hubspotPropertiesSchema,
  hubspotNoteSchema,
  hubspotOwnersPageSchema,
  hubspotAssociationsSchema,
  zendeskLookupSchema,
  slackAlertSchema,
  slackRecoverySchema,
  slackAlertUpdateSchema,
  slackDigestSchema,
  stripeCreditSchema,
  stripeSubscriptionDiscountSchema,
  stripePromotionCodeSchema,
  webhookEventSchema,
  declaredRequestSchema,
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
