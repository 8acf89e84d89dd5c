import type { Band } from "./health";
import type { AlertLog, AlertLogEntry, AlertRule, PlanInput } from "./plan";

/** Most urgent first: money and a stated intent to leave before what the score says. */
export const RULE_ORDER: AlertRule[] = [
  "payment_failed",
  "cancel_scheduled",
  "trial_ending_no_payment_method",
  "entered_red",
  "score_drop",
  "first_value_missed",
];

/** One rule this step triggers. */
export interface Triggered {
  rule: AlertRule;
  /** Deterministic: the same cause gives the same alert id however often it is planned. */
  key: string;
  summary: string;
  /** The timeline point the alert is measured against, if any. */
  was: { score: number; band: Band } | null;
  /** Rules this one reports as the same cause (a drop into red is one alert): logged with it, never posted apart. */
  covers: AlertRule[];
  /** For cancel_scheduled: the subscription whose cancellation it reports. */
  subscriptionId?: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The step applied facts that happened long before they arrived (a backfill, a replay, a late delivery). */
export function staleFacts(p: PlanInput): boolean {
  return p.events.length > 0 && p.now - p.causeAt > p.rules.maxEventAgeHours * HOUR;
}

/** The customer's previous score was made by another model version: this step's score moves are the model's. */
export function modelChanged(p: PlanInput): boolean {
  return p.before !== null && p.before.modelVersion !== p.after.modelVersion;
}

const MODEL_CHANGE = "model-change:";

/** An alert log entry that records a model change, not a posted alert: it neither cools down nor recovers in Slack. */
export function isModelChangeEntry(entry: AlertLogEntry): boolean {
  return entry.actionId.startsWith(MODEL_CHANGE);
}

/**
 * The band and drop rules a model change triggers are the model's doing, not the customer's: they are logged
 * as open against the change (so the same condition stays quiet on later steps too, until it clears) and never
 * posted. Facts the step's events state (a failed payment, a cancellation) still alert.
 */
export function absorbModelChange(p: PlanInput, log: AlertLog): void {
  if (!modelChanged(p)) return;
  const entry: AlertLogEntry = { at: p.now, actionId: `${MODEL_CHANGE}${p.after.modelVersion}` };
  for (const t of scoreAlerts(p, log)) for (const r of [t.rule, ...t.covers]) log[r] = { ...entry };
}

/** A rule that alerted and has not recovered or stopped holding since: it does not alert again. */
export function isOpen(log: AlertLog, rule: AlertRule): boolean {
  const last = log[rule];
  return last !== undefined && !last.recovered && !last.cleared;
}

/**
 * Every rule this step triggers, most urgent first. Band and drop rules read the customer's current state
 * and its event-time timeline, and fire once while the condition holds (until a recovery to green),
 * however many steps it took the facts to arrive.
 */
export function triggeredAlerts(p: PlanInput, log: AlertLog): Triggered[] {
  const out = [...eventAlerts(p), ...scoreAlerts(p, log)];
  if (firstValueMissedNow(p, log)) {
    out.push({ rule: "first_value_missed", key: "once", summary: `${p.name} has not reached first value within 24 hours of purchase.`, was: null, covers: [] });
  }
  return out.sort((a, b) => RULE_ORDER.indexOf(a.rule) - RULE_ORDER.indexOf(b.rule));
}

/**
 * The 24-hour rule speaks once, while its deadline is recent news (within maxEventAgeHours), and only where
 * missing usage means something: the deployment has a usage source connected (one that has reported usage
 * for some account at least once). Whichever step first sees it, a webhook or the hourly check, says it.
 */
function firstValueMissedNow(p: PlanInput, log: AlertLog): boolean {
  const due = p.firstValueDueAt ?? null;
  const recent = due !== null && due <= p.now && p.now - due <= p.rules.maxEventAgeHours * HOUR;
  return p.usageConnected === true && p.after.firstValueMissed && recent && log.first_value_missed === undefined;
}

/** Facts stated by this step's events, while they still hold in the customer's state. */
function eventAlerts(p: PlanInput): Triggered[] {
  const out: Triggered[] = [];
  const fresh = (at: number) => p.now - at <= p.rules.maxEventAgeHours * HOUR;
  for (const ev of p.events) {
    if (!fresh(ev.occurredAt)) continue;
    if (ev.type === "subscription.changed" && (ev.cancelAtPeriodEnd || ev.cancelAt) && ev.status !== "canceled" && (p.stillTrue?.cancelScheduled(ev.subscriptionId) ?? true)) {
      const why = ev.cancellation?.feedback ? ` (${ev.cancellation.feedback})` : "";
      out.push({ rule: "cancel_scheduled", key: `${ev.subscriptionId}:${ev.cancelAt ?? "period_end"}`, summary: `${p.name} scheduled a cancellation${why}.`, was: null, covers: [], subscriptionId: ev.subscriptionId });
    }
    if (ev.type === "payment.failed" && p.after.mrr >= p.rules.paymentFailedMinMrr && (p.stillTrue?.invoiceUnpaid(ev.invoiceId) ?? true)) {
      out.push({ rule: "payment_failed", key: `${ev.invoiceId}:${ev.attemptCount}`, summary: `${p.name}: payment failed (attempt ${ev.attemptCount}).`, was: null, covers: [] });
    }
    if (ev.type === "trial.ending" && ev.hasPaymentMethod === false && (p.stillTrue?.trialWithoutPaymentMethod?.(ev.subscriptionId) ?? true)) {
      const day = new Date(ev.trialEnd).toISOString().slice(0, 10);
      // Keyed by the trial's end: a redelivery or a second notice for the same trial is the same alert.
      out.push({ rule: "trial_ending_no_payment_method", key: `${ev.subscriptionId}:${ev.trialEnd}`, summary: `${p.name}: trial ends ${day} with no payment method on file.`, was: null, covers: [], subscriptionId: ev.subscriptionId });
    }
  }
  return out;
}

/** Entering red and dropping: one alert for one fall, whichever band it ends in. */
function scoreAlerts(p: PlanInput, log: AlertLog): Triggered[] {
  const { after } = p;
  // A score is compared only with what the same model said: after a model change, drops are measured from it.
  const past = p.history.filter((h) => h.at <= p.now && (h.modelVersion === undefined || h.modelVersion === after.modelVersion));
  const windowStart = p.now - p.rules.dropWindowDays * DAY;
  const peak = past.filter((h) => h.at >= windowStart).reduce((m, h) => (h.score > m.score ? h : m), { score: -Infinity, at: 0 });
  const dropped = Number.isFinite(peak.score) && peak.score - after.score >= p.rules.dropPoints;
  const dropText = dropped ? `dropped ${peak.score - after.score} points in ${p.rules.dropWindowDays} days` : "";
  if (after.band === "red") {
    if (isOpen(log, "entered_red")) return [];
    const lastNotRed = [...past].reverse().find((h) => bandOf(h) !== "red");
    const redSince = past.find((h) => h.at > (lastNotRed?.at ?? -Infinity))?.at ?? p.causeAt;
    // The band as well as the score: with hysteresis a score can be yellow one day and red the next at the same value.
    const was = lastNotRed ? ` (${bandOf(lastNotRed)} at ${lastNotRed.score} on ${dayOf(lastNotRed.at)})` : "";
    const summary = `${p.name} entered red at ${after.score}${was}${dropped ? `; it ${dropText}` : ""}.`;
    // The drop that took it into red is the same news: logged with this alert so it is not posted again on the way back up.
    return [{ rule: "entered_red", key: String(redSince), summary, was: lastNotRed ? pointOf(lastNotRed) : null, covers: dropped ? ["score_drop"] : [] }];
  }
  if (!dropped || isOpen(log, "score_drop")) return [];
  return [{ rule: "score_drop", key: dayOf(peak.at), summary: `${p.name} ${dropText}, to ${after.score}.`, was: pointOf(peak), covers: [] }];
}

/**
 * Rules that a cancellation already alerted explains: while that cancellation is still scheduled, the score it
 * pulls down (into red or by a drop) is the same cause, and is logged against its alert instead of posted.
 */
export function explainedByCancellation(p: PlanInput, log: AlertLog): AlertLog["cancel_scheduled"] | undefined {
  const last = log.cancel_scheduled;
  if (!last?.subscriptionId) return undefined;
  return (p.stillTrue?.cancelScheduled(last.subscriptionId) ?? false) ? last : undefined;
}

function pointOf(h: { score: number; band?: Band }): { score: number; band: Band } {
  return { score: h.score, band: bandOf(h) };
}

/** Points stored before bands were kept on the timeline: the default thresholds. */
function bandOf(h: { score: number; band?: Band }): Band {
  return h.band ?? (h.score < 50 ? "red" : h.score > 75 ? "green" : "yellow");
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
