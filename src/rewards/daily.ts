import type { TenureConfig } from "../core/config";
import type { Snapshot } from "../core/plan";
import { stageOf } from "../core/lifecycle";
import { newBadges, occasionsDue, referralEffects, release, type Party, type Referral } from "../core/rewards";
import type { CustomerState } from "../core/state";
import type { Env } from "../env";
import { errorFields, log } from "../log";
import { planStmts } from "../loyalty";
import { enqueue } from "../jobs/enqueue";
import { loadParties, loyaltySyncStmt, openReferrals, referrerTallies } from "../store/loyalty";

/** The loyalty program's daily work: payouts after the hold, occasions, renewal offers. */

export interface DailyResult {
  paid: number;
  held: number;
  occasions: number;
  actionIds: string[];
}

export async function runLoyaltyDaily(env: Env, cfg: TenureConfig, now: number): Promise<DailyResult> {
  const released = await releaseDueRewards(env.DB, cfg, now);
  const occasions = await runOccasions(env.DB, cfg, now);
  const actionIds = [...released.actionIds, ...occasions.actionIds];
  await enqueue(env.ACTIONS, actionIds.map((actionId) => ({ actionId })));
  return { paid: released.paid, held: released.held, occasions: occasions.entries, actionIds };
}

/**
 * Referral rewards past their hold (and held ones) are paid, or held while the referrer is unhealthy.
 * One batch per referral, guarded by its version: a referral a scoring step changed meanwhile is left
 * for the next run.
 */
export async function releaseDueRewards(db: D1Database, cfg: TenureConfig, now: number): Promise<{ paid: number; held: number; actionIds: string[] }> {
  const out = { paid: 0, held: 0, actionIds: [] as string[] };
  let after: string | null = "";
  while (after !== null) {
    const page: ReleasePage = await releaseDueRewardsPage(db, cfg, now, after);
    out.paid += page.paid;
    out.held += page.held;
    out.actionIds.push(...page.actionIds);
    after = page.next;
  }
  return out;
}

export interface ReleasePage {
  paid: number;
  held: number;
  actionIds: string[];
  /** The last referred id of this page, or null when no open referral is left after it. */
  next: string | null;
}

/** One page of `releaseDueRewards`: the open referrals after referred id `after`, at most two D1 calls each. */
export async function releaseDueRewardsPage(db: D1Database, cfg: TenureConfig, now: number, after: string, limit = 200): Promise<ReleasePage> {
  const out: ReleasePage = { paid: 0, held: 0, actionIds: [], next: null };
  if (!cfg.rewards.referral.enabled) return out;
  const open = await openReferrals(db, null, now, after, limit);
  if (open.length === 0) return out;
  const parties = await loadParties(db, open.flatMap((r) => [r.referrerId, r.referredId]));
  for (const before of open) {
    const done = await releaseOne(db, cfg, before, parties, now);
    if (!done) continue;
    out.actionIds.push(...done.actionIds);
    if (done.status === "paid") out.paid++;
    else out.held++;
  }
  out.next = open.length < limit ? null : open[open.length - 1]!.referredId;
  return out;
}

async function releaseOne(db: D1Database, cfg: TenureConfig, before: Referral, parties: Map<string, Party>, now: number) {
  const rules = cfg.rewards;
  const referrer = parties.get(before.referrerId);
  const referred = parties.get(before.referredId);
  if (!referrer || !referred) return null;
  const after = release(before, referrer, now, rules.referral);
  if (after === before) return null;
  const fx = referralEffects({ before, after, referrer, referred, rules, now });
  if (after.status === "paid") fx.ledger.push(...(await referralBadges(db, cfg, after, now)));
  try {
    await db.batch([...planStmts(db, { referrals: [{ before, after }], ...fx }, rules.version, now), loyaltySyncStmt(db, after.referrerId, [], now, rules.referral.linkBase)]);
  } catch (err) {
    log("warn", "referral changed during release; the next run retries it", { referredId: before.referredId, ...errorFields(err) });
    return null;
  }
  return { status: after.status, actionIds: fx.actions.map((a) => a.id) };
}

async function referralBadges(db: D1Database, cfg: TenureConfig, paid: Referral, now: number) {
  const t = await referrerTallies(db, paid.referrerId);
  return newBadges(paid.referrerId, { referralsPaid: t.paid + 1, customerSince: null, churned: false, segments: [], now }, t.badges, cfg.rewards);
}

const PAGE = 100;

type Row = { id: string; state: string; score: number | null; currency: string | null; health: string | null };

/** Anniversaries, birthdays, the one-year badge and first-renewal offers, for every customer, in pages. */
export async function runOccasions(db: D1Database, cfg: TenureConfig, now: number): Promise<{ entries: number; actionIds: string[] }> {
  const out = { entries: 0, actionIds: [] as string[] };
  let after: string | null = "";
  while (after !== null) {
    const from: string = after;
    try {
      const page: OccasionsPage = await runOccasionsPage(db, cfg, now, from);
      out.entries += page.entries;
      out.actionIds.push(...page.actionIds);
      after = page.next;
    } catch (err) {
      log("error", "loyalty occasions page failed", { after: from, ...errorFields(err) });
      after = await nextCustomerPageStart(db, from);
    }
  }
  return out;
}

export interface OccasionsPage {
  entries: number;
  actionIds: string[];
  /** The last customer id of this page, or null when it was the last page. */
  next: string | null;
}

/** One page of `runOccasions`: the next PAGE customers after id `after`, in three D1 calls. Throws when its commit fails. */
export async function runOccasionsPage(db: D1Database, cfg: TenureConfig, now: number, after: string): Promise<OccasionsPage> {
  const { results } = await db.prepare(`SELECT id, state, score, currency, health FROM customers WHERE id > ? ORDER BY id LIMIT ?`).bind(after, PAGE).all<Row>();
  if (results.length === 0) return { entries: 0, actionIds: [], next: null };
  const page = await occasionsPage(db, cfg, results, now);
  if (page.stmts.length > 0) await db.batch(page.stmts);
  return { entries: page.entries, actionIds: page.actionIds, next: results.length < PAGE ? null : results[results.length - 1]!.id };
}

/** Where the page after a failed one starts, so one bad page does not stop the walk. */
async function nextCustomerPageStart(db: D1Database, after: string): Promise<string | null> {
  const row = await db.prepare(`SELECT MAX(id) AS id FROM (SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?)`).bind(after, PAGE).first<{ id: string | null }>();
  return row?.id ?? null;
}

async function occasionsPage(db: D1Database, cfg: TenureConfig, rows: Row[], now: number) {
  const ids = JSON.stringify(rows.map((r) => r.id));
  const [stripe, birthdays, badges] = await db.batch<{ customer_id: string; value: string }>([
    db.prepare(`SELECT customer_id, value FROM identities WHERE kind = 'stripe' AND customer_id IN (SELECT value FROM json_each(?)) ORDER BY created_at DESC`).bind(ids),
    db.prepare(`SELECT customer_id, id || '=' || birthday AS value FROM contacts WHERE birthday IS NOT NULL AND erased_at IS NULL AND customer_id IN (SELECT value FROM json_each(?))`).bind(ids),
    db.prepare(`SELECT customer_id, kind AS value FROM loyalty_ledger WHERE entry = 'badge.awarded' AND customer_id IN (SELECT value FROM json_each(?))`).bind(ids),
  ]);
  const stripeOf = new Map(stripe!.results.map((r) => [r.customer_id, r.value]));
  const group = (rs: { customer_id: string; value: string }[]) => {
    const m = new Map<string, string[]>();
    for (const r of rs) m.set(r.customer_id, [...(m.get(r.customer_id) ?? []), r.value]);
    return m;
  };
  const bdays = group(birthdays!.results);
  const held = group(badges!.results);
  const ledger = [];
  const actions = [];
  for (const r of rows) {
    const state = JSON.parse(r.state) as CustomerState;
    const stage = stageOf(state, now, cfg.lifecycle);
    const segments = (JSON.parse(r.health ?? "null") as { snapshot?: Snapshot } | null)?.snapshot?.segments ?? [];
    const birthdays = Object.fromEntries((bdays.get(r.id) ?? []).map((v) => [v.slice(0, v.lastIndexOf("=")), v.slice(v.lastIndexOf("=") + 1)]));
    const due = occasionsDue({ customerId: r.id, state, stage, score: r.score ?? 0, currency: r.currency ?? state.profile.currency ?? null, stripeCustomerId: stripeOf.get(r.id) ?? null, birthdays, segments, now, rules: cfg.rewards });
    const facts = { referralsPaid: 0, customerSince: stage.onboarding.purchasedAt, churned: stage.stage === "churned", segments, now };
    const badges = newBadges(r.id, facts, held.get(r.id) ?? [], cfg.rewards).filter((b) => b.kind === "one_year" || b.kind === "power_user");
    ledger.push(...due.ledger, ...badges);
    actions.push(...due.actions);
  }
  const touched = [...new Set(ledger.filter((e) => e.points !== 0).map((e) => e.customerId))];
  const stmts = [...planStmts(db, { referrals: [], ledger, actions }, cfg.rewards.version, now), ...touched.map((id) => loyaltySyncStmt(db, id, [], now, cfg.rewards.referral.linkBase))];
  return { stmts, entries: ledger.length, actionIds: actions.map((a) => a.id) };
}
