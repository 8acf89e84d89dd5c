/** OpenAPI paths of the loyalty program (src/routes/loyalty.ts), spread into the main document. */

const error = { $ref: "#/components/schemas/Error" };
const bearer = [{ admin: [] }];
const obj = (properties: Record<string, object>, required: string[] = []) => ({ type: "object", required, properties });
const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
const body = (schema: object) => ({ required: true, content: { "application/json": { schema } } });
const q = (name: string, description: string, schema: object = { type: "string" }) => ({ name, in: "query", required: false, description, schema });
const errors = { "400": json(error, "Invalid body or query"), "401": json(error, "Missing or wrong admin token"), "404": json(error, "No such customer") };
const str = { type: "string" };
const int = { type: "integer" };

export const loyaltyPaths = {
  "/api/referrals/codes": {
    post: {
      summary: "Create (once per customer) the customer's referral code",
      description:
        "Maps a code derived from the customer id to the customer, and queues a Stripe promotion code for it on the configured referral coupon (restrictions.first_time_transaction). 201 when created; 200 with the existing code afterwards. promotionCodeId is set once Stripe created it.",
      security: bearer,
      requestBody: body(obj({ customerId: str }, ["customerId"])),
      responses: { "201": json(obj({ code: str, referrerId: str, actionId: str, promotionCodeId: { type: ["string", "null"] }, status: { type: ["string", "null"] } })), "200": json(obj({})), "409": json(error, "Referrals disabled, or a code collision"), ...errors },
    },
  },
  "/api/referrals": {
    post: {
      summary: "Attribute a customer to a referrer by hand",
      description:
        "The same rules as a code seen at checkout, with the request time as the attribution time: a self-referral (same customer, company email domain or card) or a friend who already paid before is refused, and the reason is in the ledger (the 201 body shows status refused and the reason). 409 when the customer was already referred.",
      security: bearer,
      requestBody: body(obj({ referrerId: str, referredId: str }, ["referrerId", "referredId"])),
      responses: { "201": json(obj({ referral: { type: "object" } })), "409": json(error, "Already referred"), ...errors },
    },
    get: {
      summary: "Referral metrics",
      description: "With referrerId: invites (code, attributions), conversions, credits paid / held / pending / clawed back per currency, and the referrals. Without: every referrer with their counts.",
      security: bearer,
      parameters: [q("referrerId", "a Tenure customer id"), q("limit", "1–500", int)],
      responses: { "200": json({ type: "object" }), ...errors },
    },
  },
  "/api/loyalty/events": {
    post: {
      summary: "Record a loyalty activity (review submitted, social share, ...) and its points",
      description: "Idempotent on (customerId, kind, ref): 201 the first time, 200 afterwards. 422 for a kind without an earn rule, or onboarding_completed outside its window.",
      security: bearer,
      requestBody: body(obj({ customerId: str, kind: str, ref: str }, ["customerId", "kind", "ref"])),
      responses: { "201": json(obj({ created: { type: "boolean" }, id: str, points: int, balance: int })), "200": json(obj({})), "422": json(error), ...errors },
    },
  },
  "/api/loyalty/enroll": {
    post: { summary: "Opt a customer in to the loyalty program", security: bearer, requestBody: body(obj({ customerId: str }, ["customerId"])), responses: { "201": json(obj({ created: { type: "boolean" }, enrolledAt: int, via: { enum: ["earn", "opt_in"] } })), "200": json(obj({})), ...errors } },
  },
  "/api/loyalty/redeem": {
    post: {
      summary: "Turn points into a Stripe balance credit",
      description:
        "At the configured rate, with a minimum and steps. The balance check and the spend are one conditional write, so concurrent requests cannot spend the same points. A reused idempotencyKey answers the first result (200); with other points it is a 409. 409 insufficient_points (error.balance); 422 below_minimum, not_a_multiple, currency_not_configured, no_stripe_customer.",
      security: bearer,
      requestBody: body(obj({ customerId: str, points: int, idempotencyKey: str }, ["customerId", "points"])),
      responses: { "201": json(obj({ redemptionId: str, actionId: str, points: int, credit: obj({ amount: int, currency: str }), balance: int })), "200": json(obj({})), "409": json(error), "422": json(error), ...errors },
    },
  },
  "/api/loyalty/leaderboard": {
    get: {
      summary: "Top referrers and top point earners",
      description: "Referrers by qualified referrals and customers by points earned, since the start of the current UTC month, quarter or year (or all time).",
      security: bearer,
      parameters: [q("period", "month | quarter | year | all", { enum: ["month", "quarter", "year", "all"] }), q("limit", "1–100", int)],
      responses: { "200": json(obj({ period: str, since: int, referrers: { type: "array" }, points: { type: "array" } })), ...errors },
    },
  },
  "/api/loyalty/summary": {
    get: { summary: "Program summary: enrollment (count and rate), points issued/redeemed/outstanding, referrals by status, credits, badges", security: bearer, responses: { "200": json({ type: "object" }), ...errors } },
  },
  "/api/loyalty/customers/{id}": {
    get: { summary: "One customer's points balance, enrollment, badges, referral code and ledger", security: bearer, responses: { "200": json({ type: "object" }), ...errors } },
  },
} as const;
