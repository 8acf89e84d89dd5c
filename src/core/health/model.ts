import { z } from "zod";
import { stages } from "../lifecycle";
import { trendNames } from "./trends";

/**
 * The versioned health model: component weights, band thresholds, per-segment overrides and the
 * tunable numbers each component uses. Every field has a default, so `healthModelSchema.parse({})`
 * is the default model and a config file only needs the fields it changes.
 * Rationale for each default: docs/health-model.md.
 */

/** The five scored components, then the trend components (src/core/health/trends.ts), weighted 0 by default. */
export const componentNames = ["billing", "support", "usage", "sentiment", "relationship", ...trendNames] as const;
export type ComponentName = (typeof componentNames)[number];
export type Band = "green" | "yellow" | "red";

const weight = z.number().finite().nonnegative();
const days = z.number().positive();
const points = z.number().finite().nonnegative();

export const weightsSchema = z.object({
  billing: weight.default(30),
  support: weight.default(20),
  usage: weight.default(20),
  sentiment: weight.default(15),
  relationship: weight.default(15),
  usageTrend: weight.default(0),
  usageRecency: weight.default(0),
  ticketTrend: weight.default(0),
  urgentShare: weight.default(0),
  npsRecency: weight.default(0),
});

export const bandsSchema = z
  .object({
    /** Below this the band is red. */
    red: z.number().min(0).max(100).default(50),
    /** Above this the band is green. */
    green: z.number().min(0).max(100).default(75),
    /** Points by which a score must cross a threshold to leave `previousBand`. */
    hysteresis: z.number().min(0).max(25).default(3),
  })
  .refine((b) => b.red < b.green, { message: "bands.red must be below bands.green" });

export const overrideSchema = z.object({
  name: z.string().optional(),
  /** Matches when every given condition holds: the stage is listed, and any listed segment is present. */
  when: z.object({ stage: z.array(z.enum(stages)).optional(), segment: z.array(z.string()).optional() }),
  weights: weightsSchema.partial().optional(),
});

export const billingParamsSchema = z.object({
  failureWindowDays: days.default(90),
  unpaidFailurePenalty: points.default(15),
  recoveredFailurePenalty: points.default(5),
  maxFailurePenalty: points.default(50),
  pastDuePenalty: points.default(20),
  unpaidPenalty: points.default(30),
  /** A trial ends within `trialNoPaymentMethodDays` and no payment method is on file. */
  trialNoPaymentMethodPenalty: points.default(15),
  trialNoPaymentMethodDays: z.number().positive().default(7),
  cancelScheduledPenalty: points.default(30),
  canceledPenalty: points.default(50),
  downgradeWindowDays: days.default(90),
  downgradePenalty: points.default(12),
  refundWindowDays: days.default(90),
  refundPenalty: points.default(5),
  disputeWindowDays: days.default(180),
  disputePenalty: points.default(25),
  upgradeBonus: points.default(5),
  renewalBonus: points.default(5),
  maxRenewalBonus: points.default(15),
});

export const supportParamsSchema = z.object({
  lookbackDays: days.default(90),
  openPenalty: points.default(4),
  maxOpenPenalty: points.default(15),
  highPenalty: points.default(7),
  urgentPenalty: points.default(12),
  maxPriorityPenalty: points.default(35),
  reopenRateWeight: points.default(30),
  minTicketsForReopenRate: z.number().int().positive().default(3),
  csatTarget: z.number().min(0).max(100).default(75),
  slaBreachPenalty: points.default(8),
  maxSlaPenalty: points.default(24),
  /** Tickets in the last 30 days relative to the monthly average of the 90 days before. */
  volumeSpikeRatio: z.number().positive().default(2),
  volumeSpikeMinTickets: z.number().int().positive().default(3),
  volumeSpikePenalty: points.default(10),
});

export const usageParamsSchema = z.object({
  activeWindowDays: days.default(30),
  /** Share of seats active in the window that counts as healthy. */
  targetSeatShare: z.number().min(0).max(1).default(0.6),
  /** Share of core features used in the window that counts as healthy. */
  targetBreadth: z.number().min(0).max(1).default(0.5),
  firstValueMissedPenalty: points.default(15),
});

export const sentimentParamsSchema = z.object({
  staleAfterDays: days.default(180),
  promoterBonus: points.default(20),
  detractorPenalty: points.default(25),
  repeatDetractorWindowDays: days.default(365),
  repeatDetractorPenalty: points.default(10),
  csatNeutral: z.number().min(0).max(100).default(70),
});

export const relationshipParamsSchema = z.object({
  /** HubSpot company property holding the account owner. */
  ownerProperty: z.string().default("hubspot_owner_id"),
  /** Properties holding the last contact (ms or ISO); the newest wins. */
  lastContactProperties: z
    .array(z.string())
    .default(["notes_last_contacted", "hs_last_sales_activity_timestamp", "notes_last_updated"]),
  /** Properties holding the renewal date (ms, ISO date or datetime); the first present wins. */
  renewalDateProperties: z.array(z.string()).default(["renewal_date"]),
  recentContactDays: days.default(30),
  staleContactDays: days.default(90),
  renewalSoonDays: days.default(60),
  renewalWithoutContactPenalty: points.default(20),
  noOwnerPenalty: points.default(15),
  dealWindowDays: days.default(90),
});

export const healthModelSchema = z.object({
  version: z.string().min(1).default("2026-11-v1"),
  weights: weightsSchema.prefault({}),
  bands: bandsSchema.prefault({}),
  overrides: z.array(overrideSchema).default([
    {
      name: "activation",
      when: { stage: ["conversion", "purchase", "onboarding"] },
      weights: { billing: 15, usage: 40, sentiment: 10 },
    },
  ]),
  maxDrivers: z.number().int().min(1).max(20).default(5),
  /** Score (and band) when no component has data: neutral, so it neither alerts nor reassures. */
  noDataScore: z.number().min(0).max(100).default(50),
  billing: billingParamsSchema.prefault({}),
  support: supportParamsSchema.prefault({}),
  usage: usageParamsSchema.prefault({}),
  sentiment: sentimentParamsSchema.prefault({}),
  relationship: relationshipParamsSchema.prefault({}),
});

export type HealthModel = z.output<typeof healthModelSchema>;
export type HealthModelInput = z.input<typeof healthModelSchema>;
export type HealthOverride = z.output<typeof overrideSchema>;
export type Weights = Record<ComponentName, number>;

export const defaultHealthModel: HealthModel = healthModelSchema.parse({});
