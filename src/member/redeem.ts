import type { Action } from "../core/actions";
import type { TenureConfig } from "../core/config";
import { chooseReward } from "../core/member";
import { rewardIds } from "../core/rewards";
import { AppError } from "../errors";
import { loyaltySyncStmt } from "../store/loyalty";
import { balanceStmt, redeemStmts } from "../store/loyalty-points";
import { redemptionRowStmt, type RewardRedemption } from "../store/member-redemptions";
import type { MemberAccount } from "../store/member";

/**
 * A member redeems a catalogue reward for a Stripe balance credit. The request id makes it idempotent: the
 * same id answers the first result, and the credit's outbox id (its Stripe Idempotency-Key) is derived from it.
 */
export interface RedeemOptions {
  /** Who asked: the member (the default) or a program manager on their behalf; each has its own request ids. */
  via?: "member" | "admin";
  /** Statements that commit with the redemption (an audit row), given its id and points. */
  with?: (id: string, points: number) => D1PreparedStatement[];
}

export async function redeemReward(db: D1Database, cfg: TenureConfig, account: MemberAccount, req: { rewardId: string; requestId: string }, now: number, opts: RedeemOptions = {}) {
  const choice = chooseReward(req.rewardId, account.currency, cfg.rewards);
  if (!choice.ok) throw new AppError(choice.status, choice.code, choice.message);
  const { item } = choice;
  if (!account.stripeCustomerId) throw new AppError(422, "no_stripe_customer", "This account has no Stripe customer to credit.");
  const id = rewardIds.redemption(account.id, `${opts.via ?? "member"}:${req.requestId}`);
  const action: Action = {
    id,
    customerId: account.id,
    payload: {
      type: "stripe.credit",
      stripeCustomerId: account.stripeCustomerId,
      amount: -item.credit.amount,
      currency: item.credit.currency,
      description: `Loyalty reward: ${item.name} (${item.points} points)`,
      metadata: { tenure_reward_id: id, tenure_catalogue_item: item.id },
    },
  };
  const r: RewardRedemption = { id, customerId: account.id, rewardId: item.id, points: item.points, amount: item.credit.amount, currency: item.credit.currency, at: now };
  const [insert, , , row, balance] = await db.batch<Record<string, unknown>>([
    ...redeemStmts(db, r, action, cfg.rewards.version),
    loyaltySyncStmt(db, account.id, [], now, cfg.rewards.referral.linkBase),
    redemptionRowStmt(db, id),
    balanceStmt(db, account.id),
    ...(opts.with?.(id, -item.points) ?? []),
  ]);
  const stored = row!.results[0] as { rewardId: string; points: number; amount: number; currency: string; at: number } | undefined;
  const left = (balance!.results[0] as { balance: number }).balance;
  if (!stored) throw new AppError(409, "insufficient_points", `The balance is ${left} points; ${item.name} costs ${item.points}.`, { balance: left, cost: item.points });
  if (stored.rewardId !== item.id) throw new AppError(409, "request_id_reused", "This requestId was used for a different reward.", { redemptionId: id });
  return {
    created: (insert!.meta.changes ?? 0) > 0,
    body: { redemptionId: id, rewardId: item.id, points: -stored.points, credit: { amount: stored.amount, currency: stored.currency }, balance: left, at: stored.at },
  };
}
