import type { Action } from "./actions";
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
  renewalDate: number | null;
}

export type AlertRule = "entered_red" | "score_drop" | "first_value_missed" | "cancel_scheduled" | "payment_failed";
/** Last alert per rule, and whether a recovery was already posted for it. */
export type AlertLog = Partial<Record<AlertRule, { at: number; actionId: string; recovered?: boolean; cleared?: boolean }>> & {
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
  history: readonly { at: number; score: number; band?: Band }[];
  alerts: AlertLog;
  /** The instant that caused this step: the newest applied event, or the recompute time. */
  causeAt: number;
  now: number;
  rules: AlertRules;
  /** Whether what an event reported still holds in the customer's state now. */
  stillTrue?: { cancelScheduled: (subscriptionId: string) => boolean; invoiceUnpaid: (invoiceId: string) => boolean };
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
    if (before && before.band !== after.band && !staleFacts(p)) {
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
  const snoozed = (alerts.snoozedUntil ?? 0) > p.now;
  const oldNews = staleFacts(p);
  const quiet = snoozed || oldNews || after.stage === "churned";
  // One alert per customer at a time: the most urgent rule speaks, the others ride along in its text, and
  // nothing more is posted for the customer within the cooldown.
  const cooling = RULE_ORDER.some((r) => alerts[r] !== undefined && p.now - alerts[r]!.at < p.rules.cooldownHours * 3_600_000);
  const due = quiet || cooling ? [] : triggeredAlerts(p, alerts).sort(([a], [b]) => RULE_ORDER.indexOf(a) - RULE_ORDER.indexOf(b));
  if (due.length > 0) {
    const [rule, key, summary, was] = due[0]!;
    const also = due.slice(1).map(([, , s]) => s);
    const id = `slack.alert:${rule}:${p.customerId}:${key}`;
    actions.push({ id, customerId: p.customerId, payload: alertPayload(p, rule, also.length ? `${summary} Also: ${also.join(" ")}` : summary, was) });
    for (const [r] of due) alerts[r] = { at: p.now, actionId: id };
  }

  if (before && before.band !== "green" && after.band === "green") {
    for (const rule of ["entered_red", "score_drop"] as const) {
      const last = alerts[rule];
      if (!last || last.recovered) continue;
      alerts[rule] = { ...last, recovered: true };
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

/** Most urgent first: money and a stated intent to leave before what the score says. */
const RULE_ORDER: AlertRule[] = ["payment_failed", "cancel_scheduled", "entered_red", "score_drop", "first_value_missed"];

/** [rule, deterministic key, one-line summary, the timeline point it is measured against]. */
type Triggered = [AlertRule, string, string, { score: number; band: Band } | null];

function pointOf(h: { score: number; band?: Band }): { score: number; band: Band } {
  return { score: h.score, band: h.band ?? bandOfScore(h.score) };
}

/** The step applied facts that happened long before they arrived (a backfill, a replay, a late delivery). */
function staleFacts(p: PlanInput): boolean {
  return p.events.length > 0 && p.now - p.causeAt > p.rules.maxEventAgeHours * 3_600_000;
}

/**
 * [rule, deterministic key, one-line summary] for every rule this step triggers. Band and drop rules read
 * the customer's current state and its event-time timeline, and fire once while the condition holds (until
 * a recovery to green), however many steps it took the facts to arrive.
 */
function triggeredAlerts(p: PlanInput, log: AlertLog): Triggered[] {
  const out: Triggered[] = [];
  const { after } = p;
  const past = p.history.filter((h) => h.at <= p.now);
  const open = (rule: AlertRule) => log[rule] !== undefined && !log[rule]!.recovered && !log[rule]!.cleared;
  if (after.band === "red" && !open("entered_red")) {
    const lastNotRed = [...past].reverse().find((h) => (h.band ?? bandOfScore(h.score)) !== "red");
    const redSince = past.find((h) => h.at > (lastNotRed?.at ?? -Infinity))?.at ?? p.causeAt;
    const was = lastNotRed ? ` (was ${lastNotRed.score} on ${new Date(lastNotRed.at).toISOString().slice(0, 10)})` : "";
    out.push(["entered_red", String(redSince), `${p.name} entered red at ${after.score}${was}.`, lastNotRed ? pointOf(lastNotRed) : null]);
  }
  const windowStart = p.now - p.rules.dropWindowDays * 86_400_000;
  const recent = past.filter((h) => h.at >= windowStart);
  const peak = recent.reduce((m, h) => (h.score > m.score ? h : m), { score: -Infinity, at: 0 });
  // A drop into red is reported as entering red.
  if (after.band !== "red" && Number.isFinite(peak.score) && peak.score - after.score >= p.rules.dropPoints && !open("score_drop")) {
    out.push(["score_drop", dayOf(peak.at), `${p.name} dropped ${peak.score - after.score} points in ${p.rules.dropWindowDays} days, to ${after.score}.`, pointOf(peak)]);
  }
  if (after.firstValueMissed && !p.before?.firstValueMissed) {
    out.push(["first_value_missed", "once", `${p.name} has not reached first value within 24 hours of purchase.`, null]);
  }
  const fresh = (at: number) => p.now - at <= p.rules.maxEventAgeHours * 3_600_000;
  for (const ev of p.events) {
    if (!fresh(ev.occurredAt)) continue;
    if (ev.type === "subscription.changed" && (ev.cancelAtPeriodEnd || ev.cancelAt) && ev.status !== "canceled" && (p.stillTrue?.cancelScheduled(ev.subscriptionId) ?? true)) {
      out.push(["cancel_scheduled", `${ev.subscriptionId}:${ev.cancelAt ?? "period_end"}`, `${p.name} scheduled a cancellation${ev.cancellation?.feedback ? ` (${ev.cancellation.feedback})` : ""}.`, null]);
    }
    if (ev.type === "payment.failed" && after.mrr >= p.rules.paymentFailedMinMrr && (p.stillTrue?.invoiceUnpaid(ev.invoiceId) ?? true)) {
      out.push(["payment_failed", `${ev.invoiceId}:${ev.attemptCount}`, `${p.name}: payment failed (attempt ${ev.attemptCount}).`, null]);
    }
  }
  return out;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Points stored before bands were kept on the timeline: the default thresholds. */
function bandOfScore(score: number): Band {
  return score < 50 ? "red" : score > 75 ? "green" : "yellow";
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
