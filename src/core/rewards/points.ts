import type { NormalizedEvent } from "../events";
import type { RewardRules } from "./config";
import { ledgerEntry, rewardIds, type LedgerEntry } from "./ledger";

/** Points: earned from activity (Segment track events, loyalty.activity facts, renewals, onboarding). Pure. */

const HOUR = 3_600_000;

export interface Activity {
  kind: string;
  ref: string;
  at: number;
}

/** Loyalty activities in a step's events: configured track names, loyalty.activity facts, paid renewals. */
export function activitiesIn(events: readonly NormalizedEvent[], rules: RewardRules): Activity[] {
  const out: Activity[] = [];
  for (const e of events) {
    if (e.type === "usage.tracked") {
      const kind = rules.points.trackEvents[e.event];
      if (kind) out.push({ kind, ref: e.id, at: e.occurredAt });
    } else if (e.type === "loyalty.activity") out.push({ kind: e.kind, ref: e.ref, at: e.occurredAt });
    else if (e.type === "invoice.paid" && e.reason === "renewal" && e.amountPaid > 0) out.push({ kind: "renewal", ref: e.invoiceId, at: e.occurredAt });
  }
  return out;
}

export interface EarnContext {
  customerId: string;
  /** First paid invoice and the moment onboarding completed (from the lifecycle), when known. */
  purchasedAt: number | null;
  onboardedAt: number | null;
  segments: readonly string[];
  rules: RewardRules;
}

/** Onboarding counts once, and only when completed within the configured hours of the purchase (or before it, in a trial). */
function normalizeActivity(a: Activity, c: EarnContext): Activity | null {
  if (a.kind !== "onboarding_completed") return a;
  if (c.purchasedAt === null || a.at - c.purchasedAt > c.rules.points.onboardingWithinHours * HOUR) return null;
  return { ...a, ref: "once" };
}

/** Ledger rows for the points these activities earn; idempotent on (customer, kind, ref) by id. */
export function earnPoints(activities: readonly Activity[], c: EarnContext): LedgerEntry[] {
  const all = [...activities];
  if (c.onboardedAt !== null) all.push({ kind: "onboarding_completed", ref: "lifecycle", at: c.onboardedAt });
  const vip = c.segments.includes(c.rules.vip.segment);
  const seen = new Set<string>();
  const out: LedgerEntry[] = [];
  for (const raw of all) {
    const a = normalizeActivity(raw, c);
    const base = a ? c.rules.points.earn[a.kind] : undefined;
    if (!a || !base) continue;
    const id = rewardIds.points(c.customerId, a.kind, a.ref);
    if (seen.has(id)) continue;
    seen.add(id);
    const points = vip ? Math.floor(base * c.rules.vip.pointsMultiplier) : base;
    out.push(ledgerEntry({ id, customerId: c.customerId, entry: "points.earned", kind: a.kind, points, ref: a.ref, at: a.at }));
  }
  return out;
}

export type RedemptionQuote = { ok: true; amount: number; currency: string } | { ok: false; code: string; message: string };

/** What `points` buy, or why they cannot be redeemed (the caller answers 422). */
export function quoteRedemption(points: number, currency: string | null, rules: RewardRules): RedemptionQuote {
  const r = rules.redemption;
  if (!Number.isInteger(points) || points <= 0) return { ok: false, code: "invalid_points", message: "points must be a positive integer" };
  if (points < r.minPoints) return { ok: false, code: "below_minimum", message: `the minimum redemption is ${r.minPoints} points` };
  if (points > r.maxPoints) return { ok: false, code: "above_maximum", message: `at most ${r.maxPoints} points can be redeemed at once` };
  if (points % r.pointsPerUnit !== 0) return { ok: false, code: "not_a_multiple", message: `points are redeemed in steps of ${r.pointsPerUnit}` };
  const cur = currency?.toLowerCase();
  const unit = cur ? r.unitAmount[cur] : undefined;
  if (!cur || unit === undefined) return { ok: false, code: "currency_not_configured", message: `no redemption rate is configured for currency ${cur ?? "(unknown)"}` };
  return { ok: true, amount: (points / r.pointsPerUnit) * unit, currency: cur };
}
