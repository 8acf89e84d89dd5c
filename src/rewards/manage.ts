import type { TenureConfig } from "../core/config";
import { AppError, notFound } from "../errors";
import { redeemReward } from "../member/redeem";
import { loyaltySyncStmt } from "../store/loyalty";
import { adjustStmts, auditStmt, ledgerEntryStmt } from "../store/loyalty-manage";
import { balanceStmt } from "../store/loyalty-points";
import { resolveAccount } from "../store/member";

/**
 * What a program manager does to a member's points: adjust the balance with a reason, or redeem a reward on
 * their behalf. Each is idempotent per request id and recorded in the audit with its actor, in the same batch.
 */

export interface AdjustRequest {
  customerId: string;
  points: number;
  reason: string;
  requestId: string;
}

export async function adjustBalance(db: D1Database, cfg: TenureConfig, req: AdjustRequest, actor: string, now: number) {
  const exists = await db.prepare(`SELECT 1 AS x FROM customers WHERE id = ?`).bind(req.customerId).first();
  if (!exists) throw notFound(`Customer ${req.customerId}`);
  const id = `points.adjusted:${req.customerId}:${req.requestId}`;
  const [insert, , , row, balance] = await db.batch<Record<string, unknown>>([
    ...adjustStmts(db, { id, customerId: req.customerId, points: req.points, reason: req.reason, rulesVersion: cfg.rewards.version, at: now }, actor),
    loyaltySyncStmt(db, req.customerId, [], now, cfg.rewards.referral.linkBase),
    ledgerEntryStmt(db, id),
    balanceStmt(db, req.customerId),
  ]);
  const stored = row!.results[0] as { customerId: string; points: number; reason: string; at: number } | undefined;
  const left = (balance!.results[0] as { balance: number }).balance;
  if (!stored) {
    throw new AppError(409, "balance_below_zero", `The balance is ${left} points; taking ${-req.points} would leave it below zero.`, { balance: left });
  }
  if (stored.points !== req.points || stored.reason !== req.reason) throw new AppError(409, "request_id_reused", "This requestId was used for a different adjustment.");
  return { created: (insert!.meta.changes ?? 0) > 0, body: { adjustmentId: id, customerId: req.customerId, points: stored.points, reason: stored.reason, balance: left, at: stored.at, actor } };
}

export async function redeemOnBehalf(db: D1Database, cfg: TenureConfig, req: { customerId: string; rewardId: string; requestId: string }, actor: string, now: number) {
  const account = await resolveAccount(db, { name: "account_id", value: req.customerId });
  if (!account || account.id !== req.customerId) throw notFound(`Customer ${req.customerId}`);
  return redeemReward(db, cfg, account, req, now, {
    via: "admin",
    with: (id, points) => [auditStmt(db, { id: `audit:${id}`, action: "redeem", customerId: account.id, points, detail: req.rewardId, ledgerId: id, actor, at: now })],
  });
}
