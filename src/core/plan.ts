import type { Action } from "./actions";
import { RULE_ORDER, absorbModelChange, explainedByCancellation, isModelChangeEntry, modelChanged, staleFacts, triggeredAlerts, type Triggered } from "./alert-rules";
import type { AlertRules } from "./config";
import type { NormalizedEvent } from "./events";
import type { Band, Driver } from "./health";
import type { Stage } from "./lifecycle";

/** What the outside world sees of a customer after scoring. */
export interface Snapshot {
  score: number;
  band: Band;
  stage: Stage;
  stageSince: number | null;
  drivers: Driver[];
  modelVersion: string;
  trend: { d7: number | null; d30: number | null };
  segments: string[];
  onboardingStatus: string;
  firstValueMissed: boolean;
  mrr: number;
  currency?: string;
  /** Live MRR per currency (never summed across currencies), and items whose amount is unknown (metered). */
  mrrByCurrency?: Record<string, number>;
  mrrUnknownItems?: number;
  renewalDate: number | null;
}

export type AlertRule = "entered_red" | "score_drop" | "first_value_missed" | "cancel_scheduled" | "payment_failed" | "trial_ending_no_payment_method";
export interface AlertLogEntry {
  at: number;
  actionId: string;
  recovered?: boolean;
  cleared?: boolean;
  /** For cancel_scheduled: the subscription, so later steps can tell whether the cancellation still stands. */
  subscriptionId?: string;
}
/** Last alert per rule, and whether a recovery was already posted for it. */
export type AlertLog = Partial<Record<AlertRule, AlertLogEntry>> & {
  /** Set by the Snooze button: no alerts for this customer until then. */
  snoozedUntil?: number;
};

export interface PlanInput {
  customerId: string;
  name: string;
  hubspotCompanyId?: string;
  /** The company was linked in this step: it gets the current values even if they did not change. */
  hubspotCompanyNew?: boolean;
  hubspotOwnerId?: string;
  ownerEmail?: string;
  before: Snapshot | null;
  after: Snapshot;
  /** Events applied in this step (empty for a time-driven recompute). */
  events: readonly NormalizedEvent[];
  /** The event-time timeline (points at day closes), oldest first; points after `now` are ignored. */
  history: readonly { at: number; score: number; band?: Band; modelVersion?: string }[];
  alerts: AlertLog;
  /** The instant that caused this step: the newest applied event, or the recompute time. */
  causeAt: number;
  now: number;
  rules: AlertRules;
  /** Whether what an event reported still holds in the customer's state now. */
  stillTrue?: {
    cancelScheduled: (subscriptionId: string) => boolean;
    invoiceUnpaid: (invoiceId: string) => boolean;
    trialWithoutPaymentMethod?: (subscriptionId: string) => boolean;
  };
  /**
   * The deployment has a usage source configured and it has reported usage for some account at least once.
   * Without one, "no usage yet" says nothing about the customer, so the first-value rule stays silent.
   */
  usageConnected?: boolean;
  /** When the customer's first value fell due (purchase + the first-value hours), if it has paid. */
  firstValueDueAt?: number | null;
}

/** HubSpot company properties Tenure writes (created by `npm run setup:hubspot`). */
export const HUBSPOT_PROPERTIES = {
  score: "tenure_health_score",
  band: "tenure_health_band",
  trend7: "tenure_health_trend_7d",
  trend30: "tenure_health_trend_30d",
  drivers: "tenure_health_drivers",
  modelVersion: "tenure_model_version",
  stage: "tenure_loyalty_stage",
  stageSince: "tenure_stage_since",
  onboarding: "tenure_onboarding_status",
  segments: "tenure_segments",
  points: "tenure_loyalty_points",
  referrals: "tenure_referral_count",
  referralCode: "tenure_referral_code",
  referralLink: "tenure_referral_link",
  lastReward: "tenure_loyalty_last_reward",
  lastRewardAt: "tenure_loyalty_last_reward_at",
  lastScoredAt: "tenure_last_scored_at",
} as const;

export function hubspotValues(s: Snapshot): Record<string, string> {
  const P = HUBSPOT_PROPERTIES;
  return {
    [P.score]: String(s.score),
    [P.band]: s.band,
    [P.trend7]: s.trend.d7 === null ? "" : String(s.trend.d7),
    [P.trend30]: s.trend.d30 === null ? "" : String(s.trend.d30),
    [P.drivers]: s.drivers.slice(0, 3).map((d) => d.detail).join("; "),
    [P.modelVersion]: s.modelVersion,
    [P.stage]: s.stage,
    [P.stageSince]: s.stageSince === null ? "" : String(s.stageSince),
    [P.onboarding]: s.onboardingStatus,
    [P.segments]: s.segments.join(";"),
  };
}

/** Diffs before/after and plans every outbound action, with deterministic ids. Pure. */
export function planActions(p: PlanInput): { actions: Action[]; alerts: AlertLog } {
  const actions: Action[] = [];
  const alerts: AlertLog = structuredClone(p.alerts);
  const { after, before } = p;

  if (p.hubspotCompanyId) {
    const values = hubspotValues(after);
    const old = before ? hubspotValues(before) : null;
    if (!old || p.hubspotCompanyNew || Object.keys(values).some((k) => values[k] !== old[k])) {
      actions.push({
        id: `hubspot.properties:${p.hubspotCompanyId}`,
        customerId: p.customerId,
        payload: { type: "hubspot.properties", companyId: p.hubspotCompanyId, properties: { ...values, [HUBSPOT_PROPERTIES.lastScoredAt]: String(p.now) } },
      });
    }
    // A band change that only a replay of old facts passed through is no news for the CRM timeline either.
    if (before && before.band !== after.band && !staleFacts(p) && !modelChanged(p)) {
      actions.push({
        id: `hubspot.note:${p.customerId}:${after.band}:${p.causeAt}`,
        customerId: p.customerId,
        payload: { type: "hubspot.note", companyId: p.hubspotCompanyId, body: bandNote(p.name, before, after), timestamp: p.causeAt },
      });
    }
  }

  // Alerts say what is true now and new. Facts that arrive long after they happened (a backfill, a replay,
  // a late delivery) update scores, HubSpot and the timeline, but alert nothing; a churned customer gets none.
  // A condition that stopped holding may alert again when it returns.
  if (alerts.entered_red && after.band !== "red") alerts.entered_red.cleared = true;
  if (alerts.score_drop && after.band === "green") alerts.score_drop.cleared = true;
  absorbModelChange(p, alerts);
  const snoozed = (alerts.snoozedUntil ?? 0) > p.now;
  const quiet = snoozed || staleFacts(p) || after.stage === "churned";
  if (!quiet) {
    const alert = planAlert(p, alerts);
    if (alert) actions.push(alert);
  }

  if (before && before.band !== "green" && after.band === "green") {
    for (const rule of ["entered_red", "score_drop"] as const) {
      const last = alerts[rule];
      if (!last || last.recovered) continue;
      alerts[rule] = { ...last, recovered: true };
      if (isModelChangeEntry(last)) continue;
      if (actions.some((a) => a.id === `slack.recovery:${last.actionId}`)) continue;
      actions.push({
        id: `slack.recovery:${last.actionId}`,
        customerId: p.customerId,
        payload: { type: "slack.recovery", customerId: p.customerId, customerName: p.name, score: after.score, alertActionId: last.actionId },
      });
    }
  }
  return { actions, alerts };
}

/**
 * One alert per customer at a time: the most urgent rule speaks, the others ride along in its text, and
 * nothing more is posted for the customer within the cooldown. Score rules that a still-scheduled, already
 * alerted cancellation explains are logged against that alert: one cause, one alert.
 */
function planAlert(p: PlanInput, alerts: AlertLog): Action | null {
  let due = triggeredAlerts(p, alerts);
  const cause = due.some((t) => t.rule === "cancel_scheduled") ? undefined : explainedByCancellation(p, alerts);
  if (cause) {
    for (const t of due.filter(isScoreRule)) for (const r of [t.rule, ...t.covers]) alerts[r] = { at: cause.at, actionId: cause.actionId };
    due = due.filter((t) => !isScoreRule(t));
  }
  const cooling = RULE_ORDER.some((r) => alerts[r] !== undefined && !isModelChangeEntry(alerts[r]!) && p.now - alerts[r]!.at < p.rules.cooldownHours * 3_600_000);
  if (cooling || due.length === 0) return null;
  const [head, ...rest] = due;
  const summary = rest.length ? `${head!.summary} Also: ${rest.map((t) => t.summary).join(" ")}` : head!.summary;
  const id = `slack.alert:${head!.rule}:${p.customerId}:${head!.key}`;
  for (const t of due) {
    for (const r of [t.rule, ...t.covers]) alerts[r] = { at: p.now, actionId: id };
    if (t.subscriptionId) alerts[t.rule]!.subscriptionId = t.subscriptionId;
  }
  return { id, customerId: p.customerId, payload: alertPayload(p, head!.rule, summary, head!.was) };
}

function isScoreRule(t: Triggered): boolean {
  return t.rule === "entered_red" || t.rule === "score_drop";
}

/** `was` is the event-time point the alert compares with; without one, nothing is claimed about before. */
function alertPayload(p: PlanInput, rule: AlertRule, summary: string, was: { score: number; band: Band } | null): Action["payload"] {
  return {
    type: "slack.alert",
    rule,
    customerId: p.customerId,
    customerName: p.name,
    score: p.after.score,
    band: p.after.band,
    previousScore: was?.score ?? null,
    previousBand: was?.band ?? null,
    drivers: p.after.drivers.slice(0, 3),
    mrr: p.after.mrr,
    currency: p.after.currency,
    renewalDate: p.after.renewalDate,
    hubspotCompanyId: p.hubspotCompanyId,
    hubspotOwnerId: p.hubspotOwnerId,
    ownerEmail: p.ownerEmail,
    segments: p.after.segments,
    summary,
  };
}

function bandNote(name: string, before: Snapshot, after: Snapshot): string {
  const drivers = after.drivers.slice(0, 3).map((d) => `<li>${escapeHtml(d.detail)} (${d.impact > 0 ? "+" : ""}${d.impact})</li>`).join("");
  return `<p><strong>Tenure:</strong> ${escapeHtml(name)} moved from <strong>${before.band}</strong> (${before.score}) to <strong>${after.band}</strong> (${after.score}).</p>${drivers ? `<ul>${drivers}</ul>` : ""}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
