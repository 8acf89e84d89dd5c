import { createMiddleware } from "hono/factory";
import { loadConfig, type Env } from "../env";
import { AppError } from "../errors";
import { log } from "../log";
import { resolveAccount, type MemberAccount } from "../store/member";
import { countsAsGuess, memberLockRemainingS, memberThrottleKey, memberLockedMessage, noteMemberGuess } from "./throttle";
import { verifyMemberToken, type TokenRefusal } from "./token";

/** The member a request is for, once its token verified and its account resolved. */
export interface Member {
  account: MemberAccount;
  /** The user's id in the SaaS (`sub`). */
  userId: string;
}

export type MemberVars = { member: Member };

export const memberDisabled = () =>
  new AppError(503, "member_access_disabled", "The loyalty program's member access is not configured: set the TENURE_MEMBER_SECRET secret.");

const REASONS: Record<TokenRefusal | "unknown_account", string> = {
  missing: "Send the member token as `Authorization: Bearer <token>`.",
  malformed: "The member token is not a valid JWT.",
  bad_signature: "The member token's signature does not verify with TENURE_MEMBER_SECRET.",
  wrong_algorithm: "Member tokens must be signed with HS256.",
  expired: "The member token has expired; sign a new one.",
  invalid_claims: "The member token needs `sub` (string) and `exp` (seconds).",
  too_long_lived: "The member token's `exp` is more than 24 hours ahead; sign tokens that live at most 24 hours.",
  no_account_claim: "The member token names no account: add one of account_id, stripe_customer_id, hubspot_company_id.",
  several_account_claims: "The member token names several accounts: keep exactly one of account_id, stripe_customer_id, hubspot_company_id.",
  unknown_account: "The member token's account is not known to Tenure.",
};

function refused(c: { header: (k: string, v: string) => void }, reason: TokenRefusal | "unknown_account"): AppError {
  c.header("www-authenticate", `Bearer error="invalid_token"`);
  return new AppError(401, "invalid_member_token", REASONS[reason], { reason });
}

function locked(c: { header: (k: string, v: string) => void }, retryAfterS: number): AppError {
  c.header("retry-after", String(retryAfterS));
  return new AppError(429, "too_many_attempts", memberLockedMessage(retryAfterS), { retryAfter: retryAfterS }, true);
}

/**
 * Verifies the member token on every request; a member only ever sees the account their token names. A client
 * with too many recent forged or mangled tokens gets 429 with Retry-After before its token is looked at.
 */
export const requireMember = createMiddleware<{ Bindings: Env; Variables: MemberVars }>(async (c, next) => {
  const secret = loadConfig(c.env).TENURE_MEMBER_SECRET;
  if (!secret) throw memberDisabled();
  const header = c.req.header("authorization") ?? "";
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "";
  const now = Date.now();
  const key = memberThrottleKey(c.req.header("cf-connecting-ip"));
  const wait = token ? await memberLockRemainingS(c.env.DB, key, now) : 0;
  if (wait > 0) throw locked(c, wait);
  const check = await verifyMemberToken(token, secret, now);
  if (!check.ok) {
    if (countsAsGuess(check.reason)) {
      const lockedFor = await noteMemberGuess(c.env.DB, key, check.reason, now);
      if (lockedFor > 0) throw locked(c, lockedFor);
    } else if (check.reason !== "missing") log("info", "member token refused", { reason: check.reason });
    throw refused(c, check.reason);
  }
  const account = await resolveAccount(c.env.DB, check.account);
  if (!account) {
    log("info", "member token refused", { reason: "unknown_account", claim: check.account.name });
    throw refused(c, "unknown_account");
  }
  c.set("member", { account, userId: check.claims.sub });
  await next();
});
