import type { Action } from "../actions";
import type { StageResult } from "../lifecycle";
import { nextRenewalAt } from "../segments";
import { isLive } from "../subscriptions";
import type { CustomerState } from "../state";
import { isoTime } from "../time";
import type { RewardRules } from "./config";
import { ledgerEntry, rewardIds, type LedgerEntry } from "./ledger";

/** Occasions (anniversaries, birthdays) and the first-year renewal offer, decided daily. Pure. */

const DAY = 86_400_000;

/** The anniversary of `since` that falls in the window ending now: its year and number, or null. */
export function anniversaryDue(since: number, now: number, windowDays: number): { year: number; n: number; at: number } | null {
  const s = new Date(since);
  const year = new Date(now).getUTCFullYear();
  for (const y of [year, year - 1]) {
    const at = Date.UTC(y, s.getUTCMonth(), s.getUTCDate(), s.getUTCHours(), s.getUTCMinutes());
    const n = y - s.getUTCFullYear();
    if (n >= 1 && at <= now && now - at < windowDays * DAY) return { year: y, n, at };
  }
  return null;
}

/** A birthday (`MM-DD`) that falls in the window ending now: its year, or null. */
export function birthdayDue(monthDay: string, now: number, windowDays: number): { year: number } | null {
  const m = /^(\d{2})-(\d{2})$/.exec(monthDay);
  if (!m) return null;
  const year = new Date(now).getUTCFullYear();
  for (const y of [year, year - 1]) {
    const at = Date.UTC(y, Number(m[1]) - 1, Number(m[2]));
    if (at <= now && now - at < windowDays * DAY) return { year: y };
  }
  return null;
}

/** `MM-DD` from a contact property: ISO dates (yyyy-mm-dd, --mm-dd, mm-dd) or epoch milliseconds (HubSpot dates). */
export function monthDayOf(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  const iso = /^(?:\d{4}|-)?-?(\d{2})-(\d{2})(?:T.*)?$/.exec(v);
  if (iso) return validMonthDay(`${iso[1]}-${iso[2]}`);
  if (/^\d{9,}$/.test(v)) {
    const at = isoTime(Number(v));
    return at === undefined ? null : validMonthDay(at.slice(5, 10));
  }
  return null;
}

function validMonthDay(md: string): string | null {
  const [m, d] = md.split("-").map(Number) as [number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= 31 ? md : null;
}

export interface OccasionInput {
  customerId: string;
  state: CustomerState;
  stage: StageResult;
  score: number;
  currency: string | null;
  stripeCustomerId: string | null;
  /** Contacts' birthdays (`MM-DD`) by contact id. */
  birthdays: Readonly<Record<string, string>>;
  segments: readonly string[];
  now: number;
  rules: RewardRules;
}

/** Every occasion reward due today. Ids include the year, so a second daily run changes nothing. */
export function occasionsDue(o: OccasionInput): { ledger: LedgerEntry[]; actions: Action[] } {
  const out = { ledger: [] as LedgerEntry[], actions: [] as Action[] };
  if (o.stage.stage === "churned") return out;
  const { rules, customerId: id, now } = o;
  const vip = o.segments.includes(rules.vip.segment);
  const points = (kind: string) => {
    const base = rules.points.earn[kind] ?? 0;
    return vip ? Math.floor(base * rules.vip.pointsMultiplier) : base;
  };
  const since = o.stage.onboarding.purchasedAt;
  const ann = rules.occasions.anniversary.enabled && since !== null ? anniversaryDue(since, now, rules.occasions.windowDays) : null;
  if (ann) {
    const ref = String(ann.year);
    if (points("anniversary") > 0) {
      out.ledger.push(ledgerEntry({ id: rewardIds.points(id, "anniversary", ref), customerId: id, entry: "points.earned", kind: "anniversary", points: points("anniversary"), ref, at: now }));
    }
    const cur = o.currency?.toLowerCase();
    const credit = cur ? rules.occasions.anniversary.credit[cur] : undefined;
    if (credit && cur && o.stripeCustomerId) {
      const actionId = rewardIds.occasionCredit(id, "anniversary", ref);
      out.actions.push({ id: actionId, customerId: id, payload: { type: "stripe.credit", stripeCustomerId: o.stripeCustomerId, amount: -credit, currency: cur, description: `Thank you for ${ann.n} year${ann.n > 1 ? "s" : ""} with us`, metadata: { tenure_reward_id: actionId } } });
      out.ledger.push(ledgerEntry({ id: actionId, customerId: id, entry: "occasion.credit", kind: "anniversary", amount: credit, currency: cur, ref, actionId, at: now }));
    }
  }
  if (rules.occasions.birthday.enabled && points("birthday") > 0) {
    for (const [contactId, md] of Object.entries(o.birthdays).sort()) {
      const due = birthdayDue(md, now, rules.occasions.windowDays);
      if (!due) continue;
      const ref = `${contactId}:${due.year}`;
      out.ledger.push(ledgerEntry({ id: rewardIds.points(id, "birthday", ref), customerId: id, entry: "points.earned", kind: "birthday", points: points("birthday"), ref, at: now }));
    }
  }
  const offer = renewalOfferDue(o);
  if (offer) {
    const actionId = rewardIds.renewalOffer(id);
    const coupon = rules.renewalOffer.coupon;
    out.actions.push({ id: actionId, customerId: id, payload: { type: "stripe.subscription_discount", subscriptionId: offer.subscriptionId, coupon, metadata: { tenure_reward_id: actionId } } });
    out.ledger.push(ledgerEntry({ id: actionId, customerId: id, entry: "renewal.offer", kind: coupon, ref: offer.subscriptionId, actionId, at: now }));
  }
  return out;
}

/** Year one, no renewal yet, the first renewal within `daysBefore`, health within the configured range. */
export function renewalOfferDue(o: Pick<OccasionInput, "state" | "stage" | "score" | "now" | "rules">): { subscriptionId: string; renewalAt: number } | null {
  const r = o.rules.renewalOffer;
  const purchased = o.stage.onboarding.purchasedAt;
  if (!r.enabled || purchased === null || o.stage.renewals > 0 || o.now - purchased > r.firstYearDays * DAY) return null;
  if (o.score < r.minScore || o.score > r.maxScore) return null;
  const renewalAt = nextRenewalAt(o.state, []);
  if (renewalAt === null || renewalAt < o.now || renewalAt > o.now + r.daysBefore * DAY) return null;
  const sub = Object.entries(o.state.billing.subscriptions)
    .filter(([, s]) => isLive(s) && s.currentPeriodEnd === renewalAt && !s.cancelAtPeriodEnd && s.cancelAt === undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))[0];
  return sub ? { subscriptionId: sub[0], renewalAt } : null;
}
