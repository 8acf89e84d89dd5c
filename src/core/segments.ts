import { entry } from "./keyed";
import { z } from "zod";
import type { HealthScore } from "./health";
import { parseCrmTime } from "./health/factors";
import { type StageResult, stages } from "./lifecycle";
import type { CustomerState } from "./state";
import { isLive, primaryMrr } from "./subscriptions";

/**
 * Segments: labels that decide which content, offers and attention a customer gets. Each rule is
 * configuration; `segments()` returns the labels whose rule holds, sorted.
 */

const DAY = 86_400_000;
const enabled = z.boolean().default(true);

export const segmentRulesSchema = z.object({
  /** Uses the main features and scores high on usage. */
  powerUser: z
    .object({ enabled, segment: z.string().default("power_user"), minUsageScore: z.number().min(0).max(100).default(80) })
    .prefault({}),
  /** A paying customer not yet using the main features, or with weak usage: send feature tips. */
  tips: z
    .object({
      enabled,
      segment: z.string().default("tips"),
      maxUsageScore: z.number().min(0).max(100).default(60),
      stages: z.array(z.enum(stages)).default(["purchase", "onboarding", "renewal", "loyalty"]),
    })
    .prefault({}),
  /** An admin among the product users or CRM contacts (role compared case-insensitively). */
  admin: z
    .object({
      enabled,
      segment: z.string().default("admin_content"),
      roles: z.array(z.string()).default(["admin", "administrator", "owner"]),
    })
    .prefault({}),
  /** In the first year, before the first renewal, with that renewal coming up. */
  renewalOffer: z
    .object({
      enabled,
      segment: z.string().default("renewal_offer"),
      withinDays: z.number().positive().default(60),
      firstYearDays: z.number().positive().default(400),
      /** CRM properties holding the renewal date; else the live subscription's period end. */
      renewalDateProperties: z.array(z.string()).default(["renewal_date"]),
    })
    .prefault({}),
  /** Live MRR in the customer's main currency (minor units; other currencies are not added) at or above the threshold. */
  vip: z
    .object({ enabled, segment: z.string().default("vip"), minMrr: z.number().int().nonnegative().default(100_000) })
    .prefault({}),
});
export type SegmentRules = z.output<typeof segmentRulesSchema>;
export const defaultSegmentRules: SegmentRules = segmentRulesSchema.parse({});


export function segments(
  state: CustomerState,
  score: HealthScore,
  stage: StageResult,
  now: number,
  rules: SegmentRules = defaultSegmentRules,
): string[] {
  const out = new Set<string>();
  const usage = score.components.usage;
  const power = rules.powerUser.enabled && stage.usesMainFeatures && usage !== null && usage >= rules.powerUser.minUsageScore;
  if (power) out.add(rules.powerUser.segment);
  const weak = !stage.usesMainFeatures || (usage !== null && usage < rules.tips.maxUsageScore);
  if (rules.tips.enabled && !power && weak && rules.tips.stages.includes(stage.stage)) out.add(rules.tips.segment);
  if (rules.admin.enabled && hasAdmin(state, rules.admin.roles)) out.add(rules.admin.segment);
  if (rules.renewalOffer.enabled && renewalOffer(state, stage, now, rules.renewalOffer)) out.add(rules.renewalOffer.segment);
  if (rules.vip.enabled && mrr(state) >= rules.vip.minMrr && mrr(state) > 0) out.add(rules.vip.segment);
  return [...out].sort();
}

/** Live MRR in the customer's main currency (src/core/subscriptions.ts); other currencies are not converted. */
export function mrr(state: CustomerState): number {
  return primaryMrr(state).mrr;
}

function hasAdmin(state: CustomerState, roles: string[]): boolean {
  const wanted = new Set(roles.map((r) => r.toLowerCase()));
  const isAdmin = (role: string | undefined) => role !== undefined && wanted.has(role.trim().toLowerCase());
  return (
    Object.values(state.usage.roles).some((u) => isAdmin(u.role)) ||
    Object.values(state.crm.contacts).some((c) => !c.erased && isAdmin(c.role))
  );
}

/** The next renewal: the first configured CRM date property, else the earliest live period end. */
export function nextRenewalAt(state: CustomerState, properties: string[]): number | null {
  for (const name of properties) {
    const t = parseCrmTime(entry(state.crm.properties, name)?.value);
    if (t !== null) return t;
  }
  const ends = Object.values(state.billing.subscriptions)
    .filter((s) => isLive(s) && s.currentPeriodEnd !== undefined)
    .map((s) => s.currentPeriodEnd as number);
  return ends.length ? Math.min(...ends) : null;
}

function renewalOffer(
  state: CustomerState,
  stage: StageResult,
  now: number,
  rule: SegmentRules["renewalOffer"],
): boolean {
  const purchased = stage.onboarding.purchasedAt;
  if (purchased === null || stage.renewals > 0 || stage.stage === "churned") return false;
  if (now - purchased > rule.firstYearDays * DAY) return false;
  const renewal = nextRenewalAt(state, rule.renewalDateProperties);
  return renewal !== null && renewal >= now && renewal <= now + rule.withinDays * DAY;
}
