import { z } from "zod";
import { leaderboardPeriods } from "../core/rewards/ledger";
import { loyaltyManagePaths } from "./loyalty-manage-openapi";
import { adminErrors, badRequest, error, json, jsonBody, notFound, pathParam, queryParams } from "./openapi-parts";

/** OpenAPI paths of the loyalty program (src/routes/loyalty.ts), spread into the main document. */

// The query and body schemas of src/routes/loyalty.ts, as a client sends them.
const id = z.string().min(1).max(200);
const codeBody = z.object({ customerId: id });
const referralBody = z.object({ referrerId: id, referredId: id });
const referralsQuery = z.object({ referrerId: id.optional(), limit: z.int().min(1).max(500).default(100) });
const activityBody = z.object({ customerId: id, kind: z.string().min(1).max(64), ref: z.string().min(1).max(200) });
const redeemBody = z.object({ customerId: id, points: z.number(), idempotencyKey: z.string().optional().describe("1–100 of letters, digits, _ . : -; a reuse answers the first result.") });
const leaderboardQuery = z.object({ period: z.enum(leaderboardPeriods).default("month"), limit: z.int().min(1).max(100).default(10) });

const obj = (properties: Record<string, object>, required: string[] = []) => ({ type: "object", required, properties });
const str = { type: "string" };
const int = { type: "integer" };
const nullableStr = { type: ["string", "null"] };
const createdOrExisting = (schema: object) => ({ "201": json(schema, "Created"), "200": json(schema, "Already there: the earlier result") });
const noCustomer = notFound("customer");

const referralCode = obj({ code: str, referrerId: str, actionId: str, promotionCodeId: { ...nullableStr, description: "Set once Stripe created it." }, status: nullableStr });

export const loyaltyPaths = {
  ...loyaltyManagePaths,
  "/api/referrals/codes": {
    post: {
      operationId: "createReferralCode",
      summary: "Create (once per customer) the customer's referral code",
      description:
        "Maps a code derived from the customer id to the customer, and queues a Stripe promotion code for it on the configured referral coupon (restrictions.first_time_transaction). 201 when created; 200 with the existing code afterwards.",
      tags: ["Loyalty"],
      requestBody: jsonBody(codeBody),
      responses: { ...createdOrExisting(referralCode), ...badRequest(), ...noCustomer, "409": error("`referrals_disabled`, or `code_collision`"), ...adminErrors },
    },
  },
  "/api/referrals": {
    post: {
      operationId: "attributeReferral",
      summary: "Attribute a customer to a referrer by hand",
      description:
        "The same rules as a code seen at checkout, with the request time as the attribution time: a self-referral (same customer, company email domain or card) or a friend who already paid before is refused, and the reason is in the ledger (the 201 body shows status refused and the reason).",
      tags: ["Loyalty"],
      requestBody: jsonBody(referralBody),
      responses: { "201": json(obj({ referral: { type: "object" } }), "Decided (attributed or refused)"), ...badRequest(), ...noCustomer, "409": error("`already_referred` (error.referral)"), ...adminErrors },
    },
    get: {
      operationId: "getReferralMetrics",
      summary: "Referral metrics",
      description: "With referrerId: invites (code, attributions), conversions, credits paid / held / pending / clawed back per currency, and the referrals. Without: every referrer with their counts.",
      tags: ["Loyalty"],
      parameters: queryParams(referralsQuery, { referrerId: "A Tenure customer id.", limit: "Page size." }),
      responses: { "200": json({ type: "object" }), ...badRequest(), ...adminErrors },
    },
  },
  "/api/loyalty/events": {
    post: {
      operationId: "recordLoyaltyActivity",
      summary: "Record a loyalty activity (review submitted, social share, ...) and its points",
      description: "Idempotent on (customerId, kind, ref): 201 the first time, 200 afterwards.",
      tags: ["Loyalty"],
      requestBody: jsonBody(activityBody),
      responses: {
        ...createdOrExisting(obj({ created: { type: "boolean" }, id: str, points: int, at: int, balance: int })),
        ...badRequest(),
        ...noCustomer,
        "422": error("`unknown_kind`: no earn rule for the kind; `not_eligible`: onboarding_completed outside its window"),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/enroll": {
    post: {
      operationId: "enrollInLoyalty",
      summary: "Opt a customer in to the loyalty program",
      tags: ["Loyalty"],
      requestBody: jsonBody(codeBody),
      responses: { ...createdOrExisting(obj({ created: { type: "boolean" }, customerId: str, enrolledAt: int, via: { enum: ["earn", "opt_in"] } })), ...badRequest(), ...noCustomer, ...adminErrors },
    },
  },
  "/api/loyalty/redeem": {
    post: {
      operationId: "redeemPoints",
      summary: "Turn points into a Stripe balance credit",
      description:
        "At the configured rate, with a minimum and steps. The balance check and the spend are one conditional write, so concurrent requests cannot spend the same points. A reused idempotencyKey answers the first result (200).",
      tags: ["Loyalty"],
      requestBody: jsonBody(redeemBody),
      responses: {
        ...createdOrExisting(obj({ created: { type: "boolean" }, redemptionId: str, actionId: str, points: int, credit: obj({ amount: int, currency: str }), balance: int, at: int })),
        ...badRequest(),
        ...noCustomer,
        "409": error("`insufficient_points` (error.balance, error.requested), or `idempotency_key_reused` with other points"),
        "422": error("`below_minimum`, `not_a_multiple`, `currency_not_configured`, `no_stripe_customer`, `invalid_idempotency_key`"),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/leaderboard": {
    get: {
      operationId: "getLoyaltyLeaderboard",
      summary: "Top referrers and top point earners",
      description: "Referrers by qualified referrals and customers by points earned, since the start of the current UTC month, quarter or year (or all time).",
      tags: ["Loyalty"],
      parameters: queryParams(leaderboardQuery, { period: "Since the start of this UTC period.", limit: "Rows per list." }),
      responses: {
        "200": json(
          obj({
            period: { enum: leaderboardPeriods },
            since: int,
            referrers: { type: "array", items: obj({ customerId: str, name: nullableStr, referrals: int }) },
            points: { type: "array", items: obj({ customerId: str, name: nullableStr, earned: int, balance: int }) },
          }),
        ),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/summary": {
    get: {
      operationId: "getLoyaltySummary",
      summary: "Program summary: enrollment, points, referrals, credits, badges",
      tags: ["Loyalty"],
      responses: {
        "200": json(
          obj({
            enrollment: obj({ customers: int, enrolled: int, rate: { type: ["number", "null"], description: "Percent enrolled." }, via: { type: "object", additionalProperties: int } }),
            points: obj({ issued: int, redeemed: int, reversed: int, outstanding: int }),
            referrals: { type: "object", description: "Count per referral status.", additionalProperties: int },
            credits: { type: "object", description: "Ledger entry → currency → total (minor units).", additionalProperties: { type: "object", additionalProperties: int } },
            badges: { type: "object", description: "Count per badge.", additionalProperties: int },
          }),
        ),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/customers/{id}": {
    get: {
      operationId: "getCustomerLoyalty",
      summary: "One customer's points balance, enrollment, badges, referral code and ledger",
      tags: ["Loyalty"],
      parameters: [pathParam("id", "A Tenure customer id.")],
      responses: {
        "200": json(obj({ customerId: str, points: int, member: { type: ["object", "null"], properties: { enrolledAt: int, via: str } }, badges: { type: "array", items: str }, code: { type: ["object", "null"] }, ledger: { type: "array", items: { type: "object" } } })),
        ...noCustomer,
        ...adminErrors,
      },
    },
  },
};
