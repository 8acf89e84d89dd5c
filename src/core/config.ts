import { z } from "zod";
import { defaultSegmentRules, type SegmentRules } from "./segments";
import { defaultHealthModel, type HealthModel } from "./health";
import { defaultLifecycleConfig, type LifecycleConfig } from "./lifecycle";
import { defaultRewardRules, type RewardRules } from "./rewards/config";

/** Free-mail domains never identify a company. */
export const DEFAULT_FREE_MAIL = [
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com", "msn.com",
  "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de",
  "mail.com", "yandex.com", "yandex.ru", "zoho.com", "fastmail.com", "hey.com", "qq.com", "163.com",
];

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
});
export type AlertRules = z.infer<typeof alertRulesSchema>;

export const identityRulesSchema = z.object({
  freeMailDomains: z.array(z.string()).default(DEFAULT_FREE_MAIL),
  /** Link facts by email domain when no explicit id matches. */
  matchByDomain: z.boolean().default(true),
});

export interface TenureConfig {
  health: HealthModel;
  lifecycle: LifecycleConfig;
  identity: z.infer<typeof identityRulesSchema>;
  alerts: AlertRules;
  /** The loyalty program (src/core/rewards). */
  rewards: RewardRules;
  segments: SegmentRules;
}

export const defaultConfig: TenureConfig = {
  health: defaultHealthModel,
  lifecycle: defaultLifecycleConfig,
  identity: identityRulesSchema.parse({}),
  alerts: alertRulesSchema.parse({}),
  rewards: defaultRewardRules,
  segments: defaultSegmentRules,
};
