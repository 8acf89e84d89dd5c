import type { TenureConfig } from "../core/config";
import { buildReferralCode } from "../core/rewards/codes";
import { codesWalkPage, newCodeStmts } from "../store/loyalty-codes";
import { loyaltySyncStmt } from "../store/loyalty";

/**
 * The daily walk that gives every eligible customer their referral code (one made before the program was
 * enabled, or before the step that made them paying created codes): CUSTOMERS_PER_CODES_PAGE scanned per page,
 * one batch for the codes found missing and for codes HubSpot does not show yet. The codes are derived from the
 * ids, so a redone page changes nothing.
 */
export const CUSTOMERS_PER_CODES_PAGE = 100;

export async function fillReferralCodesPage(
  db: D1Database,
  cfg: TenureConfig,
  after: string,
  now: number,
  limit = CUSTOMERS_PER_CODES_PAGE,
): Promise<{ created: string[]; synced: string[]; actionIds: string[]; next: string | null }> {
  const rules = cfg.rewards.referral;
  if (!rules.enabled) return { created: [], synced: [], actionIds: [], next: null };
  const { missing, unsynced, last } = await codesWalkPage(db, rules.eligible, after, limit);
  const fresh = missing.map((id) => ({ id, ...buildReferralCode(id, rules) }));
  const stmts = [
    ...fresh.flatMap((f) => [...newCodeStmts(db, f.id, f.code, f.action, now), loyaltySyncStmt(db, f.id, [], now, rules.linkBase)]),
    ...unsynced.map((id) => loyaltySyncStmt(db, id, [], now, rules.linkBase)),
  ];
  if (stmts.length > 0) await db.batch(stmts);
  return { created: fresh.map((f) => f.id), synced: unsynced, actionIds: fresh.map((f) => f.action.id), next: last };
}
