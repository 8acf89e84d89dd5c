import { actionPayloadSchema, destinationSchema } from "../core/actions";
import { sourceNameSchema } from "../core/events";
import { stages } from "../core/lifecycle";
import { BACKFILL_SOURCES } from "../backfill/types";
import { error, jsonSchemaOf, schemaRef } from "./openapi-parts";

/** Shared schemas and responses of the OpenAPI document: the shapes src/app.ts and src/routes/views.ts render. */

const int = { type: "integer" };
const str = { type: "string" };
const nullable = (type: string) => ({ type: [type, "null"] });
const ms = (description = "ms since epoch") => ({ type: "integer", description });

const errorSchema = {
  type: "object",
  required: ["error"],
  description: "Every error Tenure answers (rendered in one place, src/app.ts). Details beyond code and message depend on the code.",
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      additionalProperties: true,
      properties: {
        code: { type: "string", description: "Machine-readable, e.g. bad_request, unauthorized, too_many_attempts, not_found, invalid_signature, source_not_configured, config_error, internal." },
        message: { type: "string", description: "What went wrong and what to do about it." },
        requestId: { type: "string", description: "The request's cf-ray (or a UUID), also sent as the x-request-id header; absent only on a 404 for an unknown path." },
        path: { type: "string", description: "bad_request, invalid_payload, time_out_of_range: the offending field." },
        reason: { type: "string", description: "invalid_signature: which check failed (missing, mismatch, stale, future...)." },
        secret: { type: "string", description: "source_not_configured: the secret to set." },
        retryAfter: { type: "integer", description: "too_many_attempts: seconds to wait (also the Retry-After header)." },
      },
    },
  },
};

const customer = {
  type: "object",
  required: ["id", "externalIds", "health", "stage"],
  properties: {
    id: str,
    name: nullable("string"),
    domain: nullable("string"),
    externalIds: { type: "object", description: "stripe, hubspot, segment_group, account", additionalProperties: str },
    health: {
      type: ["object", "null"],
      description: "null until the customer is first scored.",
      properties: {
        score: { type: "integer", minimum: 0, maximum: 100 },
        band: { enum: ["green", "yellow", "red"] },
        trend: { type: "object", properties: { d7: nullable("number"), d30: nullable("number") } },
        components: { type: "object", description: "billing, support, usage, sentiment, relationship, and the trend components (usageTrend, usageRecency, ticketTrend, urgentShare, npsRecency; weighted 0 by default): 0–100 or null when there is no data", additionalProperties: nullable("number") },
        drivers: { type: "array", items: { type: "object", properties: { factor: str, impact: { type: "number" }, detail: str } } },
        modelVersion: str,
        coverage: { type: "number", description: "Share (0–1) of the model's weight that had data." },
        segments: { type: "array", items: str },
      },
    },
    stage: { type: "object", properties: { current: { enum: [...stages, null] }, since: { ...nullable("integer"), description: "ms since epoch" } } },
    mrr: { type: "integer", description: "Monthly recurring revenue of live subscriptions (active, past_due) in `currency`, minor units" },
    currency: nullable("string"),
    mrrByCurrency: { type: ["object", "null"], additionalProperties: { type: "integer" }, description: "Live MRR per currency, minor units; currencies are never added together" },
    mrrUnknownItems: { type: "integer", description: "Live subscription items whose monthly amount is unknown (metered with no invoice yet, tiered without tiers): not counted in MRR" },
    renewalDate: { ...nullable("integer"), description: "ms since epoch" },
    onboarding: { type: ["object", "null"], properties: { status: str, firstValueMissed: { type: "boolean" } } },
    updatedAt: ms(),
    scoredAt: { ...nullable("integer"), description: "ms since epoch" },
  },
};

const inboxEvent = {
  type: "object",
  description:
    "An inbox row: one provider delivery. A delivery of a queue-carried source (QUEUE_CARRIED_SOURCES, the usage stream) that was applied is kept as its id alone until its source's dedupe window ends: listed as `processed`, with no `attempts` or `reason`.",
  properties: {
    id: { type: "string", description: "source:vendor id, e.g. stripe:evt_…" },
    source: { enum: sourceNameSchema.options },
    vendorType: str,
    status: { enum: ["received", "processed", "ignored", "unmatched", "failed"] },
    occurredAt: { ...nullable("integer"), description: "ms since epoch" },
    receivedAt: ms(),
    processedAt: { ...nullable("integer"), description: "ms since epoch" },
    attempts: { ...nullable("integer"), description: "null for an applied delivery of a queue-carried source" },
    customerId: nullable("string"),
    reason: nullable("string"),
  },
};

const action = {
  type: "object",
  description: "An outbox row: one outbound action; id is its idempotency key.",
  properties: {
    id: str,
    customerId: nullable("string"),
    destination: { enum: destinationSchema.options },
    type: { enum: actionPayloadSchema.options.map((o) => o.shape.type.value) },
    status: { enum: ["pending", "delivered", "skipped", "failed", "dead"] },
    attempts: int,
    nextAttemptAt: ms(),
    lastError: nullable("string"),
    payload: { ...schemaRef("ActionPayload"), description: "What is sent ({ unparsed } for a row that is not JSON)." },
    result: { description: "The vendor's answer once delivered, else null." },
    createdAt: ms(),
    updatedAt: ms(),
    deliveredAt: { ...nullable("integer"), description: "ms since epoch" },
  },
};

const backfillProgress = {
  type: "object",
  properties: {
    source: { enum: BACKFILL_SOURCES },
    status: { enum: ["idle", "running", "failed", "done"] },
    busy: { type: "boolean", description: "A worker is importing a page right now." },
    error: { ...nullable("string"), description: "Why the last page failed; POST again to resume." },
    read: { type: "integer", description: "Records read from the vendor in this run." },
    imported: { type: "integer", description: "Records that were new to the inbox (the rest were already there)." },
    objects: { type: "array", items: { type: "object", properties: { object: str, done: { type: "boolean" }, pages: int, read: int, imported: int } } },
  },
};

const erasure = {
  type: "object",
  description: "A personal-data erasure: a paged job over every table and stored payload. Never shows the identifiers it collected.",
  properties: {
    id: str,
    contactId: { type: "string", description: "e.g. hubspot:123 or segment:user_1" },
    status: { enum: ["running", "done"] },
    step: { type: "string", description: "The step running now, `finishing`, or `done`." },
    counts: { type: "object", description: "Rows erased or scrubbed, per table.", additionalProperties: int },
    startedAt: { type: "string", format: "date-time" },
    finishedAt: { type: ["string", "null"], format: "date-time" },
    statusUrl: { type: "string", description: "GET it to follow the erasure." },
  },
};

export const components = {
  securitySchemes: {
    adminToken: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret, as `Authorization: Bearer <ADMIN_TOKEN>`." },
    memberToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A member token: a JWT (HS256, TENURE_MEMBER_SECRET) with sub, email, exp (at most 24 h ahead) and one of account_id, stripe_customer_id, hubspot_company_id." },
  },
  schemas: {
    Error: errorSchema,
    Customer: customer,
    InboxEvent: inboxEvent,
    Action: action,
    ActionPayload: jsonSchemaOf(actionPayloadSchema, "output"),
    BackfillProgress: backfillProgress,
    Erasure: erasure,
  },
  responses: {
    Unauthorized: error("`unauthorized`: no `Authorization: Bearer <ADMIN_TOKEN>`, or a wrong token (counted by the throttle)"),
    TooManyAttempts: {
      description: "`too_many_attempts`: too many wrong admin tokens from this client; every attempt is refused until Retry-After, even with the right token",
      headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer", minimum: 1 } } },
      content: { "application/json": { schema: schemaRef("Error") } },
    },
    AdminDisabled: error("`admin_disabled`: the ADMIN_TOKEN secret is not set; or `config_error`: a variable fails its schema"),
    Internal: error("`internal`: an unexpected failure, logged with its requestId"),
  },
};
