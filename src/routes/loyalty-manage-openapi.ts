import { adjustBodySchema, auditQuerySchema, redeemBodySchema } from "./loyalty-manage";
import { adminErrors, badRequest, error, json, jsonBody, notFound, queryParams } from "./openapi-parts";

/** OpenAPI paths of the program manager's admin API (src/routes/loyalty-manage.ts), spread into the loyalty paths. */

const obj = (properties: Record<string, object>, required: string[] = []) => ({ type: "object", required, properties });
const str = { type: "string" };
const int = { type: "integer" };
const nullableStr = { type: ["string", "null"] };
const actorNote = "The actor recorded in the audit is the dashboard's signed-in person (the Access email), or for a bearer-token caller `admin token` (as `<actor> via admin token` when the body names one).";

export const loyaltyManagePaths = {
  "/api/loyalty/adjustments": {
    post: {
      operationId: "adjustLoyaltyBalance",
      summary: "Adjust a member's points balance, with a reason",
      description: `Positive or negative; a negative adjustment that would take the balance below zero is refused (409 balance_below_zero), however many run at once. Idempotent per requestId: 201 the first time, 200 with the same result afterwards. ${actorNote}`,
      tags: ["Loyalty"],
      requestBody: jsonBody(adjustBodySchema),
      responses: {
        "201": json(obj({ adjustmentId: str, customerId: str, points: int, reason: str, balance: int, at: int, actor: str }), "Adjusted"),
        "200": json({ type: "object" }, "Already done: the earlier result"),
        ...badRequest(),
        ...notFound("customer"),
        "409": error("`balance_below_zero` (error.balance), or `request_id_reused`"),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/redemptions": {
    post: {
      operationId: "redeemOnBehalf",
      summary: "Redeem a catalogue reward on a member's behalf",
      description: `The same atomic redemption as POST /member/redemptions: points spent and the Stripe balance credit queued together, refused on overdraft. Idempotent per requestId. ${actorNote}`,
      tags: ["Loyalty"],
      requestBody: jsonBody(redeemBodySchema),
      responses: {
        "201": json(obj({ redemptionId: str, rewardId: str, points: int, credit: obj({ amount: int, currency: str }), balance: int, at: int }), "Redeemed"),
        "200": json({ type: "object" }, "Already done: the earlier result"),
        ...badRequest(),
        ...notFound("customer or reward"),
        "409": error("`insufficient_points`, or `request_id_reused`"),
        "422": error("`no_stripe_customer`, or a reward in another currency"),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/funnels": {
    get: {
      operationId: "getLoyaltyFunnels",
      summary: "Referral funnel and redemptions per reward",
      description: "Enrolled members → customers with a referral code → referral link clicks → referred sign-ups → rewarded referrals; and redemptions per catalogue reward (`(points)` for redemptions by points).",
      tags: ["Loyalty"],
      responses: {
        "200": json(
          obj({
            referral: obj({ enrolled: int, withCode: int, clicks: int, signups: int, rewarded: int }),
            redemptions: { type: "array", items: obj({ rewardId: str, count: int, points: int }) },
          }),
        ),
        ...adminErrors,
      },
    },
  },
  "/api/loyalty/audit": {
    get: {
      operationId: "getLoyaltyAudit",
      summary: "What program managers did, with who did it",
      description: "Balance adjustments, redemptions on a member's behalf and claim decisions, newest first.",
      tags: ["Loyalty"],
      parameters: queryParams(auditQuerySchema, { limit: "Rows.", customerId: "Only this customer's." }),
      responses: {
        "200": json(obj({ audit: { type: "array", items: obj({ id: str, at: int, actor: str, kind: { enum: ["adjust", "redeem", "claim.approve", "claim.reject"] }, customerId: str, name: nullableStr, points: int, detail: nullableStr }) } })),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
};
