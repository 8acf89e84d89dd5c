import type { Action } from "../core/actions";
import type { TenureConfig } from "../core/config";
import { stageOf } from "../core/lifecycle";
import { earnPoints, quoteRedemption, rewardIds } from "../core/rewards";
import { AppError, notFound } from "../errors";
import { customerState, enrollStmts, ledgerStmts, loyaltySyncStmt } from "../store/loyalty";
import { balanceStmt, billingIdentity, ledgerRowStmt, member, redeemStmts } from "../store/loyalty-points";

/** Points through the admin API: activities, opt-in enrollment, redemption. */

/** Records an activity's points once per (customer, kind, ref). */
export async function recordActivity(db: D1Database, cfg: TenureConfig, a: { customerId: string; kind: string; ref: string }, now: number) {
  const rules = cfg.rewards;
  if (!rules.points.earn[a.kind]) {
    const kinds = Object.entries(rules.points.earn).filter(([, v]) => v > 0).map(([k]) => k);
    throw new AppError(422, "unknown_kind", `No points are configured for kind "${a.kind}". Known kinds: ${kinds.join(", ")}.`);
  }
  const found = await customerState(db, a.customerId);
  if (!found) throw notFound(`Customer ${a.customerId}`);
  const onboarding = stageOf(found.state, now, cfg.lifecycle).onboarding;
  const [entry] = earnPoints([{ kind: a.kind, ref: a.ref, at: now }], { customerId: a.customerId, purchasedAt: onboarding.purchasedAt, onboardedAt: null, segments: found.segments, rules });
  if (!entry) {
    throw new AppError(422, "not_eligible", `${a.kind} earns points only within ${rules.points.onboardingWithinHours} hours of the first purchase.`);
  }
  const [insert, , , row, balance] = await db.batch<Record<string, unknown>>([
    ...ledgerStmts(db, [entry], rules.version),
    ...enrollStmts(db, [a.customerId], "earn", now),
    loyaltySyncStmt(db, a.customerId, [], now, cfg.rewards.referral.linkBase),
    ledgerRowStmt(db, entry.id),
    balanceStmt(db, a.customerId),
  ]);
  const stored = row!.results[0] as { points: number; at: number };
  return { created: (insert!.meta.changes ?? 0) > 0, id: entry.id, points: stored.points, at: stored.at, balance: (balance!.results[0] as { balance: number }).balance };
}

export async function enroll(db: D1Database, customerId: string, now: number) {
  if (!(await customerState(db, customerId))) throw notFound(`Customer ${customerId}`);
  const [res] = await db.batch(enrollStmts(db, [customerId], "opt_in", now));
  const m = (await member(db, customerId))!;
  return { created: (res!.meta.changes ?? 0) > 0, customerId, enrolledAt: m.enrolledAt, via: m.via };
}

const KEY = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * Turns points into a Stripe balance credit. The balance check and the spend are one conditional insert,
 * so concurrent requests cannot spend the same points; a reused idempotency key answers the first result.
 */
export async function redeem(db: D1Database, cfg: TenureConfig, req: { customerId: string; points: number; idempotencyKey?: string }, now: number) {
  const rules = cfg.rewards;
  const key = req.idempotencyKey ?? crypto.randomUUID();
  if (!KEY.test(key)) throw new AppError(422, "invalid_idempotency_key", "idempotencyKey: 1–100 characters of letters, digits, _ . : -");
  const billing = await billingIdentity(db, req.customerId);
  if (!billing) throw notFound(`Customer ${req.customerId}`);
  const quote = quoteRedemption(req.points, billing.currency, rules);
  if (!quote.ok) throw new AppError(422, quote.code, quote.message);
  if (!billing.stripeCustomerId) throw new AppError(422, "no_stripe_customer", "This customer has no Stripe customer to credit.");
  const id = rewardIds.redemption(req.customerId, key);
  const action: Action = {
    id,
    customerId: req.customerId,
    payload: { type: "stripe.credit", stripeCustomerId: billing.stripeCustomerId, amount: -quote.amount, currency: quote.currency, description: `Loyalty points redeemed (${req.points} points)`, metadata: { tenure_reward_id: id } },
  };
  const r = { id, customerId: req.customerId, points: req.points, amount: quote.amount, currency: quote.currency, at: now };
  const [insert, , , row, balance] = await db.batch<Record<string, unknown>>([
    ...redeemStmts(db, r, action, rules.version),
    loyaltySyncStmt(db, req.customerId, [], now, cfg.rewards.referral.linkBase),
    ledgerRowStmt(db, id),
    balanceStmt(db, req.customerId),
  ]);
  const stored = row!.results[0] as { points: number; amount: number; currency: string; at: number } | undefined;
  const left = (balance!.results[0] as { balance: number }).balance;
  if (!stored) throw new AppError(409, "insufficient_points", `The balance is ${left} points; ${req.points} were requested.`, { balance: left, requested: req.points });
  if (stored.points !== -req.points || stored.amount !== quote.amount) {
    throw new AppError(409, "idempotency_key_reused", "This idempotencyKey was used for a different redemption.", { redemptionId: id });
  }
  return { created: (insert!.meta.changes ?? 0) > 0, redemptionId: id, actionId: id, points: req.points, credit: { amount: quote.amount, currency: quote.currency }, balance: left, at: stored.at };
}
