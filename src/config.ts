import { z } from "zod";
import { alertRulesSchema, crmRulesSchema, defaultConfig, identityRulesSchema, type TenureConfig } from "./core/config";
import { rewardRulesSchema } from "./core/rewards/config";
import { healthModelSchema } from "./core/health";
import { lifecycleConfigSchema } from "./core/lifecycle";
import { segmentRulesSchema } from "./core/segments";
import { surveyRulesSchema } from "./core/surveys";
import { ConfigError } from "./env";

const overrideSchema = z
  .object({
    health: healthModelSchema.optional(),
    lifecycle: lifecycleConfigSchema.optional(),
    segments: segmentRulesSchema.optional(),
    identity: identityRulesSchema.partial().optional(),
    alerts: alertRulesSchema.partial().optional(),
    /** Loyalty rules; omitted keys keep their defaults. */
    rewards: rewardRulesSchema.optional(),
    /** `{ "dealStages": { "won": [...], "lost": [...] } }`: which deal stages close a deal. */
    crm: crmRulesSchema.optional(),
    /** `{ "typeform": { "csat": [refs or ids], "ces": [...] } }`: which survey questions are CSAT and CES. */
    surveys: surveyRulesSchema.optional(),
  })
  .strict();

const cache = new Map<string, TenureConfig>();

/** Defaults, overridden by the TENURE_CONFIG JSON variable (validated; a bad value is a clear error). */
export function tenureConfig(json: string | undefined): TenureConfig {
  const key = json ?? "";
  const hit = cache.get(key);
  if (hit) return hit;
  let cfg = defaultConfig;
  if (json && json.trim() !== "") {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      throw new ConfigError("TENURE_CONFIG is not valid JSON");
    }
    const parsed = overrideSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(`TENURE_CONFIG: ${parsed.error.issues[0]!.path.join(".")} ${parsed.error.issues[0]!.message}`);
    const o = parsed.data;
    cfg = {
      health: o.health ?? cfg.health,
      lifecycle: { ...(o.lifecycle ?? cfg.lifecycle), ...(o.crm ? { dealStages: o.crm.dealStages } : {}) },
      segments: o.segments ?? cfg.segments,
      identity: { ...cfg.identity, ...o.identity },
      alerts: { ...cfg.alerts, ...o.alerts },
      rewards: o.rewards ?? cfg.rewards,
      ...(o.surveys ? { surveys: o.surveys } : {}),
    };
  }
  // One entry per distinct TENURE_CONFIG value; a deployment has one or two, but never let it grow.
  if (cache.size >= 8) cache.clear();
  cache.set(key, cfg);
  return cfg;
}
