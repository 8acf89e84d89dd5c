import { z } from "zod";

/** HubSpot sends "up to 100 events" per request. */
export const HUBSPOT_MAX_BATCH = 100;

/**
 * The request: an array of event objects. Elements are deliberately `object`-only here, so one element
 * Tenure cannot read never fails the whole batch (HubSpot would retry all 100 ten times); each one is
 * parsed with hubspotEventSchema in normalize and an unreadable one becomes an ignored delivery.
 */
export const hubspotPayloadSchema = z.array(z.looseObject({})).max(HUBSPOT_MAX_BATCH);
export type HubspotPayload = z.infer<typeof hubspotPayloadSchema>;

const id = z.union([z.number().int().nonnegative(), z.string().min(1)]);

/** One webhook event. https://developers.hubspot.com/docs/api/webhooks#webhook-payloads */
export const hubspotEventSchema = z.looseObject({
  eventId: id,
  subscriptionId: id,
  portalId: id,
  occurredAt: z.number().int().nonnegative(),
  /** Legacy apps: "company.propertyChange"; new developer-platform apps: "object.propertyChange" + objectTypeId. */
  subscriptionType: z.string().min(1),
  objectTypeId: z.string().optional(),
  objectId: id.optional(),
  attemptNumber: z.number().int().optional(),
  changeSource: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.union([z.string(), z.number(), z.boolean()]).nullable().optional(),
  /** Merge events. */
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).optional(),
  newObjectId: id.optional(),
  /** associationChange events: e.g. "DEAL_TO_COMPANY", from one record to the other. */
  associationType: z.string().optional(),
  fromObjectId: id.optional(),
  toObjectId: id.optional(),
  associationRemoved: z.boolean().optional(),
});
export type HubspotEvent = z.infer<typeof hubspotEventSchema>;
