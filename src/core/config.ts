import { z } from "zod";
import { defaultSegmentRules, type SegmentRules } from "./segments";
import { defaultHealthModel, type HealthModel } from "./health";
import { dealStagesSchema, defaultLifecycleConfig, type LifecycleConfig } from "./lifecycle";
import { defaultRewardRules, type RewardRules } from "./rewards/config";
import { identitySourceRulesSchema } from "./identity";
import type { SurveyRules } from "./surveys";

/** Free-mail domains never identify a company. */
export const DEFAULT_FREE_MAIL = [
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com", "msn.com",
  "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de",
  "mail.com", "yandex.com", "yandex.ru", "zoho.com", "fastmail.com", "hey.com", "qq.com", "163.com",
];

/** A Slack conversation id (C…, G…, D…) or a channel name; the connector posts to it as given. */
const slackChannel = z.string().trim().min(1).max(80);

/**
 * Where alerts go (src/core/alert-routing.ts), in this order: the owner's mapped channel, then (mode "dm") a
 * direct message to the owner when their email is a Slack user, then the first mapped segment of the account,
 * then `fallbackChannel` (default SLACK_ALERT_CHANNEL). `owners` keys are HubSpot owner ids or emails.
 */
export const alertRoutingSchema = z
  .object({
    mode: z.enum(["channel", "dm"]).default("channel"),
    owners: z.record(z.string().trim().min(1), slackChannel).default({}),
    segments: z.record(z.string().trim().min(1), slackChannel).default({}),
    fallbackChannel: slackChannel.optional(),
  })
  .strict();
export type AlertRouting = z.infer<typeof alertRoutingSchema>;

/** With `enabled`, alerts are recorded but not posted one by one: one digest per recipient a day, at `hourUtc`. */
export const alertDigestSchema = z
  .object({
    enabled: z.boolean().default(false),
    hourUtc: z.number().int().min(0).max(23).default(8),
  })
  .strict();
export type AlertDigest = z.infer<typeof alertDigestSchema>;

export const alertRulesSchema = z.object({
  /** Points dropped within `dropWindowDays` that trigger a score_drop alert. */
  dropPoints: z.number().positive().default(10),
  dropWindowDays: z.number().positive().default(14),
  /** Per customer: after an alert, nothing more is posted for that customer for this long. */
  cooldownHours: z.number().nonnegative().default(72),
  /** Payment failures alert only above this MRR (minor units). */
  paymentFailedMinMrr: z.number().int().nonnegative().default(0),
  /**
   * Facts older than this when applied (a backfill of an existing base, a replay after a long outage) still
   * move scores and HubSpot but raise no new Slack alert: the news is old. 72 h covers Stripe's retry window.
   */
  maxEventAgeHours: z.number().positive().default(72),
  routing: alertRoutingSchema.default({ mode: "channel", owners: {}, segments: {} }),
  digest: alertDigestSchema.default({ enabled: false, hourUtc: 8 }),
});
export type AlertRules = z.infer<typeof alertRulesSchema>;

export const identityRulesSchema = z.object({
  freeMailDomains: z.array(z.string()).default(DEFAULT_FREE_MAIL),
  /** Link facts by email domain when no explicit id matches. */
  matchByDomain: z.boolean().default(true),
  /** createFrom, matchByDomainFrom, accountProperty: src/core/identity.ts. */
  ...identitySourceRulesSchema.shape,
});

/** The CRM's pipeline semantics (TENURE_CONFIG.crm); folded into `lifecycle.dealStages` when parsed. */
export const crmRulesSchema = z.object({ dealStages: dealStagesSchema }).strict();

export interface TenureConfig {
  health: HealthModel;
  lifecycle: LifecycleConfig;
  identity: z.infer<typeof identityRulesSchema>;
  alerts: AlertRules;
  /** The loyalty program (src/core/rewards). */
  rewards: RewardRules;
  segments: SegmentRules;
  /** Which survey questions are CSAT and CES (src/core/surveys.ts); absent: the default naming. */
  surveys?: SurveyRules;
}

export const defaultConfig: TenureConfig = {
  health: defaultHealthModel,
  lifecycle: defaultLifecycleConfig,
  identity: identityRulesSchema.parse({}),
  alerts: alertRulesSchema.parse({}),
  rewards: defaultRewardRules,
  segments: defaultSegmentRules,
};
