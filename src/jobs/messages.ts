import { z } from "zod";
import { carriedDeliverySchema } from "../store/carried";
import type { EventMessage } from "../env";

/**
 * Work that is too big for one invocation (D1 allows 1,000 queries per invocation, 30 s per query) runs as
 * a chain of pages on the events queue: each message does one bounded page and sends the next one with its
 * cursor. `asOf` is the instant the chain started (the daily cron's time): every page judges by it, so a
 * retried page does the same work.
 */

const asOf = z.number().int().nonnegative();

/**
 * Deletes inbox rows past their retention (src/store/retention.ts); `step` indexes PRUNE_STEPS, or APPLIED_STEPS for
 * the hourly run that deletes only applied carried deliveries' ids (`only: "applied"`, outside the daily chain).
 */
export const pruneInboxJobSchema = z.object({ job: z.literal("prune-inbox"), asOf, step: z.number().int().nonnegative(), only: z.literal("applied").optional() });

/** Lists Stripe's recent events and stores the ones no webhook brought; `startingAfter` is the last event id listed. */
export const reconcileStripeJobSchema = z.object({ job: z.literal("reconcile-stripe"), asOf, startingAfter: z.string().min(1).nullable() });

/** Reads one page of Freshdesk's satisfaction ratings (src/jobs/freshdesk-csat.ts); `page` is Freshdesk's page number. */
export const freshdeskCsatJobSchema = z.object({ job: z.literal("freshdesk-csat"), asOf, page: z.number().int().positive() });

/** Reads one page of HubSpot's survey responses created since `since` (src/jobs/hubspot-feedback.ts); `after` is HubSpot's search cursor. */
export const hubspotFeedbackJobSchema = z.object({ job: z.literal("hubspot-feedback"), asOf, since: z.number().int().nonnegative(), after: z.string().min(1).max(500).nullable() });

/** Releases referral rewards past their hold, then walks customers for occasions, then for missing referral codes; `after` is the last id done. */
export const loyaltyDailyJobSchema = z.object({ job: z.literal("loyalty-daily"), asOf, phase: z.enum(["referrals", "occasions", "codes"]), after: z.string() });

/** Recomputes days [from, to] (yyyy-mm-dd) of one customer's event-time timeline that a step left for later. */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const timelineJobSchema = z.object({ job: z.literal("timeline"), customerId: z.string().min(1), from: day, to: day, dueTo: day.optional(), dueAt: z.number().int().optional() });

/** Erases one person (src/jobs/erase.ts): where it has got to lives in the erasure's row, so the message is only its id. */
export const eraseJobSchema = z.object({ job: z.literal("erase"), erasureId: z.string().min(1) });

/** Plans today's HubSpot owners sync (src/jobs/owners-sync.ts): one outbox action, whose pages plan each other. */
export const hubspotOwnersJobSchema = z.object({ job: z.literal("hubspot-owners"), asOf });

/** Re-scores the customers whose first-value deadline passed shortly before `asOf` (src/jobs/first-value.ts); `after` is the last id done. */
export const firstValueJobSchema = z.object({ job: z.literal("first-value"), asOf, after: z.string() });

/** Re-scores every customer with the version just activated (src/jobs/model-rescore.ts); `after` is the last id done. */
export const modelRescoreJobSchema = z.object({ job: z.literal("model-rescore"), versionId: z.string().min(1), after: z.string() });

/** Plans the daily digest of held alerts (src/jobs/digest.ts); `after` is the last alert id done. */
export const digestJobSchema = z.object({ job: z.literal("digest"), asOf, after: z.string() });

/** A preview too large for one request (src/jobs/model-preview.ts): its cursor lives in its row. */
export const modelPreviewJobSchema = z.object({ job: z.literal("model-preview"), previewId: z.string().min(1) });

/** A calibration too large for one request (src/jobs/model-calibrate.ts): its cursor and sample live in its row. */
export const modelCalibrateJobSchema = z.object({ job: z.literal("model-calibrate"), runId: z.string().min(1) });

export const jobMessageSchema = z.discriminatedUnion("job", [freshdeskCsatJobSchema, hubspotFeedbackJobSchema, hubspotOwnersJobSchema, pruneInboxJobSchema, reconcileStripeJobSchema, loyaltyDailyJobSchema, timelineJobSchema, eraseJobSchema, firstValueJobSchema, modelRescoreJobSchema, modelPreviewJobSchema, modelCalibrateJobSchema, digestJobSchema]);

export type PruneInboxJob = z.infer<typeof pruneInboxJobSchema>;
export type ReconcileStripeJob = z.infer<typeof reconcileStripeJobSchema>;
export type FreshdeskCsatJob = z.infer<typeof freshdeskCsatJobSchema>;
export type HubspotFeedbackJob = z.infer<typeof hubspotFeedbackJobSchema>;
export type LoyaltyDailyJob = z.infer<typeof loyaltyDailyJobSchema>;
export type TimelineJobMessage = z.infer<typeof timelineJobSchema>;
export type EraseJob = z.infer<typeof eraseJobSchema>;
export type FirstValueJob = z.infer<typeof firstValueJobSchema>;
export type DigestJob = z.infer<typeof digestJobSchema>;
export type ModelRescoreJob = z.infer<typeof modelRescoreJobSchema>;
export type ModelPreviewJob = z.infer<typeof modelPreviewJobSchema>;
export type ModelCalibrateJob = z.infer<typeof modelCalibrateJobSchema>;
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** The daily re-score, a page of customers per message (src/recompute.ts); its shape predates the jobs above. */
export const recomputeMessageSchema = z.object({ recomputeAfter: z.string(), asOf: z.number().int() });
export type RecomputeMessage = z.infer<typeof recomputeMessageSchema>;

/** An inbox row to apply, or a delivery carried with no row yet (src/env.ts's EventMessage). */
export const eventMessageSchema = z.union([z.object({ eventId: z.string().min(1) }), z.object({ delivery: carriedDeliverySchema, direct: z.literal(true).optional() })]);

/** Everything the events queue carries. */
export type EventsQueueMessage = EventMessage | JobMessage | RecomputeMessage;

/** A message that names a job, readable or not (an unreadable one is logged and dropped, never looped). */
export function namesJob(body: unknown): body is { job: unknown } {
  return typeof body === "object" && body !== null && "job" in body;
}
