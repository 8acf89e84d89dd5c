import { claimKinds } from "../core/member";
import { badgeNames } from "../core/rewards/badges";
import { approveBodySchema, claimBodySchema, claimsQuerySchema, historyQuerySchema, redemptionBodySchema, rejectBodySchema } from "../member/schemas";
import { adminErrors, badRequest, error, json, jsonBody, notFound, pathParam, queryParams, serverErrors } from "./openapi-parts";

/** OpenAPI paths of the member program: the member API (src/routes/member.ts), claims review, referral links, the widget. */

const obj = (properties: Record<string, object>, required: string[] = Object.keys(properties)) => ({ type: "object", required, properties });
const str = { type: "string" };
const int = { type: "integer" };
const bool = { type: "boolean" };
const nullable = (type: string) => ({ type: [type, "null"] });
const sums = { type: "object", description: "Minor units per lowercase currency.", additionalProperties: int };

const memberSecurity = [{ memberToken: [] }];
/** Answers every /member route can give before its handler runs (src/member/auth.ts). */
const memberErrors = {
  "401": error("`invalid_member_token`: missing, malformed, expired, wrongly signed, not HS256, `exp` more than 24 h ahead, or naming no known account (error.reason says which); with `WWW-Authenticate: Bearer`"),
  "429": error("`too_many_attempts`: too many malformed or wrongly signed member tokens from this address; every request is refused until `Retry-After` seconds pass (error.retryAfter)"),
  "503": error("`member_access_disabled`: TENURE_MEMBER_SECRET is not set; or `config_error`"),
  ...serverErrors,
};
const cors = "Answers cross-origin requests (CORS: any origin, or MEMBER_ALLOWED_ORIGINS; no credentials) and `OPTIONS` preflights.";

const catalogueItem = obj({ id: str, name: str, points: int, credit: obj({ amount: { ...int, description: "Minor units." }, currency: str }) });
const claim = obj({ id: str, kind: { enum: [...claimKinds] }, url: str, status: { enum: ["pending", "approved", "rejected"] }, reason: nullable("string"), createdAt: int, decidedAt: nullable("integer") });
const adminClaim = obj({
  id: str,
  customerId: str,
  kind: { enum: [...claimKinds] },
  url: str,
  status: { enum: ["pending", "approved", "rejected"] },
  reason: nullable("string"),
  decidedBy: { ...nullable("string"), description: "Who approved or rejected it." },
  decidedAt: nullable("integer"),
  ledgerId: { ...nullable("string"), description: "The points row an approval wrote." },
  createdAt: int,
});

const me = obj({
  account: obj({ id: { ...str, description: "Tenure's customer id." }, name: nullable("string") }),
  points: obj({ balance: int, earned: int, redeemed: int }),
  badges: { type: "array", items: obj({ id: { enum: [...badgeNames] }, name: str, earned: bool, progress: { type: ["object", "null"], required: ["current", "target"], properties: { current: int, target: int } } }) },
  referral: obj({
    code: { ...nullable("string"), description: "Created on first look for a paying customer of an enabled program." },
    link: { ...nullable("string"), description: "{PUBLIC_URL}/r/{code}" },
    clicks: int,
    signups: { ...int, description: "Customers attributed to this referrer (refused ones excluded)." },
    rewards: obj({ pending: { ...int, description: "Referral rewards qualified and waiting (in their hold)." }, paid: int }),
    credit: obj({ pending: sums, paid: sums }),
  }),
  waysToEarn: { type: "array", items: obj({ kind: str, label: str, points: int, claim: { enum: [...claimKinds, null], description: "Submit a claim of this kind to earn it." } }) },
  rewards: { type: "array", items: { ...catalogueItem, required: [...catalogueItem.required, "affordable"], properties: { ...catalogueItem.properties, affordable: bool } } },
});

const historyEntry = obj({ id: str, entry: str, kind: nullable("string"), points: int, amount: nullable("integer"), currency: nullable("string"), at: int });
const redemption = obj({ redemptionId: str, rewardId: str, points: int, credit: obj({ amount: int, currency: str }), balance: int, at: int });

const member = (operationId: string, summary: string, extra: Record<string, unknown>) => ({ operationId, summary, tags: ["Members"], security: memberSecurity, ...extra });

export const memberPaths = {
  "/member/me": {
    get: member("getMemberOverview", "The member's account, points, badges, referral link, ways to earn and rewards", {
      description: `Everything about the token's account (never another). ${cors}`,
      responses: { "200": json(me), ...memberErrors },
    }),
  },
  "/member/history": {
    get: member("getMemberHistory", "The member's points and rewards history, newest first", {
      description: `Keyset pages: pass the previous page's \`next\` as \`cursor\`. ${cors}`,
      parameters: queryParams(historyQuerySchema, { limit: "Page size.", cursor: "`next` of the previous page." }),
      responses: { "200": json(obj({ entries: { type: "array", items: historyEntry }, next: nullable("string") })), ...badRequest(), ...memberErrors },
    }),
  },
  "/member/rewards": {
    get: member("listMemberRewards", "The reward catalogue in the account's currency", {
      description: `From TENURE_CONFIG \`rewards.catalogue\`. ${cors}`,
      responses: { "200": json(obj({ rewards: { type: "array", items: catalogueItem } })), ...memberErrors },
    }),
  },
  "/member/redemptions": {
    post: member("redeemMemberReward", "Redeem a catalogue reward for a Stripe balance credit", {
      description: `Idempotent per requestId (a reuse answers the first result with 200); the balance check and the spend are one conditional write, so concurrent requests never overdraw. The credit goes to Stripe through the outbox. ${cors}`,
      requestBody: jsonBody(redemptionBodySchema),
      responses: {
        "201": json(redemption, "Redeemed"),
        "200": json(redemption, "This requestId was already redeemed: the first result"),
        ...badRequest(),
        ...notFound("reward"),
        "409": error("`insufficient_points` (error.balance, error.cost), or `request_id_reused` for another reward"),
        "422": error("`currency_mismatch`, `currency_unknown`, `no_stripe_customer`"),
        ...memberErrors,
      },
    }),
  },
  "/member/claims": {
    post: member("submitMemberClaim", "Claim points for a review or a social share", {
      description: `Pending until a program manager approves it (POST /api/loyalty/claims/{id}/approve); the same url again answers the existing claim (200). At most 20 pending per account. ${cors}`,
      requestBody: jsonBody(claimBodySchema),
      responses: { "201": json(obj({ claim }), "Submitted"), "200": json(obj({ claim }), "Already submitted"), ...badRequest(), ...memberErrors, "429": error("`too_many_pending_claims`; or `too_many_attempts` (too many invalid member tokens from this address, with `Retry-After`)") },
    }),
    get: member("listOwnClaims", "The member's account's claims and their state, newest first (at most 50)", {
      description: cors,
      responses: { "200": json(obj({ claims: { type: "array", items: claim } })), ...memberErrors },
    }),
  },
  "/api/loyalty/claims": {
    get: {
      operationId: "listMemberClaims",
      summary: "Members' review and social-share claims",
      tags: ["Loyalty"],
      parameters: queryParams(claimsQuerySchema, { status: "Only claims in this state.", customerId: "Only this customer's.", limit: "At most this many, newest first." }),
      responses: { "200": json(obj({ claims: { type: "array", items: adminClaim } })), ...badRequest(), ...adminErrors },
    },
  },
  "/api/loyalty/claims/{id}/approve": {
    post: {
      operationId: "approveMemberClaim",
      summary: "Approve a pending claim and award its points",
      description: "The points of the claim kind's earn rule, once. `actor` names the person acting; it is recorded with the admin token as `decidedBy`.",
      tags: ["Loyalty"],
      parameters: [pathParam("id", "A claim id (claim_…).")],
      requestBody: jsonBody(approveBodySchema),
      responses: { "200": json(obj({ claim: adminClaim })), ...badRequest(), ...notFound("claim"), "409": error("`claim_decided`: it was already approved or rejected (error.claim)"), ...adminErrors },
    },
  },
  "/api/loyalty/claims/{id}/reject": {
    post: {
      operationId: "rejectMemberClaim",
      summary: "Reject a pending claim, with a reason the member sees",
      tags: ["Loyalty"],
      parameters: [pathParam("id", "A claim id (claim_…).")],
      requestBody: jsonBody(rejectBodySchema),
      responses: { "200": json(obj({ claim: adminClaim })), ...badRequest(), ...notFound("claim"), "409": error("`claim_decided` (error.claim)"), ...adminErrors },
    },
  },
  "/r/{code}": {
    get: {
      operationId: "followReferralLink",
      summary: "A referral link: counts the click and redirects to the signup or checkout page",
      description:
        "302 to REFERRAL_LANDING_URL with the code as `ref` and `client_reference_id` (pass it to Stripe Checkout's client_reference_id or the signup form, so the referral is attributed). Clicks are counted per code and day. An unknown code gets a 404 HTML page and no redirect.",
      tags: ["Members"],
      security: [],
      parameters: [pathParam("code", "A referral code, any case.")],
      responses: {
        "302": { description: "To the landing page", headers: { Location: { description: "REFERRAL_LANDING_URL?ref={code}&client_reference_id={code}", schema: str } } },
        "404": { description: "No such code (an HTML page)", content: { "text/html": { schema: str } } },
        "503": { description: "REFERRAL_LANDING_URL is not set (an HTML page)", content: { "text/html": { schema: str } } },
        // A redirect is this route's success; `default` (an unexpected failure) is what the linter accepts beside it.
        default: error("An unexpected failure, logged with its requestId"),
      },
    },
  },
  "/widget.js": {
    get: {
      operationId: "getRewardsWidget",
      summary: "The <tenure-rewards> web component's script",
      description:
        "Load it with a script element whose src is `{PUBLIC_URL}/widget.js`, then place a `tenure-rewards` element with a `token` attribute (a member token). Under a Content-Security-Policy, allow `script-src {PUBLIC_URL}` and `connect-src {PUBLIC_URL}`; no inline script or style is needed. Served with `cross-origin-resource-policy: cross-origin`.",
      tags: ["Members"],
      security: [],
      responses: { "200": { description: "JavaScript", content: { "text/javascript": { schema: str } } }, ...serverErrors },
    },
  },
};
