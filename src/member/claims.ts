import type { TenureConfig } from "../core/config";
import { stageOf } from "../core/lifecycle";
import { earnKindOfClaim, type ClaimKind } from "../core/member";
import { earnPoints } from "../core/rewards";
import { AppError, notFound } from "../errors";
import { customerState, enrollStmts, loyaltySyncStmt } from "../store/loyalty";
import { MAX_PENDING_CLAIMS, decideClaimStmt, getClaim, submitClaim, type Claim } from "../store/member-claims";

/** Review and social-share claims: submitted by a member, pending until a program manager approves or rejects them. */

export async function submitMemberClaim(db: D1Database, c: { customerId: string; userId: string; kind: ClaimKind; url: string }, now: number) {
  const r = await submitClaim(db, { id: `claim_${crypto.randomUUID()}`, customerId: c.customerId, kind: c.kind, url: c.url, submittedBy: c.userId, at: now });
  if (!r.claim) throw new AppError(429, "too_many_pending_claims", `This account already has ${MAX_PENDING_CLAIMS} claims waiting for review.`);
  return r as { created: boolean; claim: Claim };
}

/**
 * Approves a pending claim: its points are the earn rule of its kind (with the VIP multiplier), written only if
 * this very statement batch moved the claim from pending, so approving twice or after a rejection adds nothing.
 */
export async function approveClaim(db: D1Database, cfg: TenureConfig, id: string, actor: string, now: number): Promise<Claim> {
  const claim = await pendingClaim(db, id);
  const rules = cfg.rewards;
  const found = await customerState(db, claim.customerId);
  if (!found) throw notFound(`Customer ${claim.customerId}`);
  const purchasedAt = stageOf(found.state, now, cfg.lifecycle).onboarding.purchasedAt;
  const [entry] = earnPoints([{ kind: earnKindOfClaim[claim.kind], ref: `claim:${claim.id}`, at: now }], { customerId: claim.customerId, purchasedAt, onboardedAt: null, segments: found.segments, rules });
  const ledgerId = entry?.id ?? null;
  const stmts = [decideClaimStmt(db, id, { status: "approved", actor, reason: null, ledgerId, at: now })];
  if (entry) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, amount, currency, ref, reason, action_id, rules_version, at)
           SELECT ?1, ?2, 'points.earned', ?3, ?4, NULL, NULL, ?5, NULL, NULL, ?6, ?7
           WHERE EXISTS (SELECT 1 FROM member_claims WHERE id = ?8 AND status = 'approved' AND ledger_id = ?1)
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(entry.id, entry.customerId, entry.kind, entry.points, entry.ref, rules.version, entry.at, id),
      ...enrollStmts(db, [claim.customerId], "earn", now),
      loyaltySyncStmt(db, claim.customerId, [], now, cfg.rewards.referral.linkBase),
    );
  }
  await db.batch(stmts);
  return decided(db, id, "approved");
}

export async function rejectClaim(db: D1Database, id: string, actor: string, reason: string, now: number): Promise<Claim> {
  await pendingClaim(db, id);
  await db.batch([decideClaimStmt(db, id, { status: "rejected", actor, reason, ledgerId: null, at: now })]);
  return decided(db, id, "rejected");
}

async function pendingClaim(db: D1Database, id: string): Promise<Claim> {
  const claim = await getClaim(db, id);
  if (!claim) throw notFound(`Claim ${id}`);
  if (claim.status !== "pending") throw new AppError(409, "claim_decided", `Claim ${id} was already ${claim.status}.`, { claim });
  return claim;
}

/** The claim after a decision; another decision that won a race shows as a 409. */
async function decided(db: D1Database, id: string, wanted: Claim["status"]): Promise<Claim> {
  const claim = (await getClaim(db, id))!;
  if (claim.status !== wanted) throw new AppError(409, "claim_decided", `Claim ${id} was already ${claim.status}.`, { claim });
  return claim;
}
