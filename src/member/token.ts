import { errors, jwtVerify } from "jose";
import { checkMemberClaims, memberClaimsSchema, type AccountClaim, type MemberClaims } from "../core/member";

/**
 * Member tokens: JWTs the SaaS's backend signs with TENURE_MEMBER_SECRET (HS256 only; `none` and every other
 * algorithm are refused before the signature is looked at), with `exp` at most 24 hours ahead.
 */

export type TokenRefusal = "missing" | "malformed" | "bad_signature" | "wrong_algorithm" | "expired" | "invalid_claims" | "too_long_lived" | "no_account_claim" | "several_account_claims";

export type TokenCheck = { ok: true; claims: MemberClaims; account: AccountClaim } | { ok: false; reason: TokenRefusal };

export async function verifyMemberToken(token: string, secret: string, nowMs: number): Promise<TokenCheck> {
  if (!token) return { ok: false, reason: "missing" };
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"], requiredClaims: ["exp", "sub"], currentDate: new Date(nowMs) }));
  } catch (err) {
    return { ok: false, reason: refusalOf(err) };
  }
  const parsed = memberClaimsSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: "invalid_claims" };
  const checked = checkMemberClaims(parsed.data, Math.floor(nowMs / 1000));
  if (!checked.ok) return { ok: false, reason: checked.reason };
  return { ok: true, claims: parsed.data, account: checked.account };
}

function refusalOf(err: unknown): TokenRefusal {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JOSEAlgNotAllowed) return "wrong_algorithm";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JWTClaimValidationFailed) return "invalid_claims";
  return "malformed";
}
