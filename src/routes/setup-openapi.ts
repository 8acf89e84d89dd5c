import { z } from "zod";
import { BACKFILL_SOURCES } from "../backfill/types";
import { adminErrors, badRequest, error, json, jsonBody, schemaRef } from "./openapi-parts";

/** OpenAPI paths of one-time setup on the vendors and the backfill of their existing records (src/routes/setup.ts, backfill.ts). */

// The body schemas of src/routes/setup.ts and backfill.ts, as a client sends them.
const backfillBody = z.object({ source: z.enum(BACKFILL_SOURCES), restart: z.boolean().default(false).describe("Start over instead of resuming.") });
const stripeSetupBody = z.object({
  referralPercentOff: z.number().min(1).max(100).default(20).describe("The referred friend's discount, once."),
  renewalPercentOff: z.number().min(1).max(100).default(15).describe("The first-renewal offer, once."),
});

const results = (items: object, extra: object = {}) =>
  json({ type: "object", properties: { ok: { type: "boolean" }, results: { type: "array", items }, ...extra } }, "Everything exists now");
const partly = (items: object, extra: object = {}) =>
  json({ type: "object", properties: { ok: { const: false }, results: { type: "array", items }, ...extra } }, "Some items failed: see each result's status and detail");
const ownersSync = { ownersSync: { type: ["string", "null"], description: "The outbox id of the first page of today's HubSpot owners sync (names and emails)." } };
const hubspotResult = { type: "object", properties: { kind: { enum: ["group", "property"] }, name: { type: "string" }, status: { enum: ["created", "exists", "wrong_type", "error"] }, detail: { type: "string" } } };
const stripeResult = { type: "object", properties: { id: { type: "string" }, status: { enum: ["created", "exists", "error"] }, detail: { type: "string" } } };
const connectorDisabled = (secret: string) => error(`\`connector_disabled\`: ${secret} is not set; or \`admin_disabled\`, \`config_error\``);

export const setupPaths = {
  "/api/setup/hubspot": {
    post: {
      operationId: "setupHubspotProperties",
      summary: "Create the \"Customer health\" property group and properties on HubSpot companies",
      description: "Idempotent (what `npm run setup:hubspot` calls): a property that exists with another type is reported as wrong_type, never overwritten. Also plans today's sync of HubSpot owners' names and emails (the daily run repeats it).",
      tags: ["Setup"],
      responses: { "200": results(hubspotResult, ownersSync), "207": partly(hubspotResult, ownersSync), ...adminErrors, "503": connectorDisabled("HUBSPOT_ACCESS_TOKEN") },
    },
  },
  "/api/setup/stripe": {
    post: {
      operationId: "setupStripeCoupons",
      summary: "Create the loyalty program's Stripe coupons when missing",
      description: "What `npm run setup:stripe` calls. Existing coupons are left as they are.",
      tags: ["Setup"],
      requestBody: jsonBody(stripeSetupBody),
      responses: { "200": results(stripeResult), "207": partly(stripeResult), ...badRequest(), ...adminErrors, "503": connectorDisabled("STRIPE_SECRET_KEY") },
    },
  },
  "/api/backfill": {
    post: {
      operationId: "startBackfill",
      summary: "Import existing Stripe or HubSpot records (resumable)",
      description:
        "Starts a backfill (or resumes a failed or interrupted one; after a finished run, starts a new one) and imports its first page before answering, then keeps importing in the background. " +
        "Stripe: customers, subscriptions, invoices; HubSpot: companies, contacts, deals (with their company). Records go through the webhook dedupe path, keyed by their facts, so a re-run within the source's dedupe window imports nothing twice. " +
        "POST again at any time to resume from the stored cursor.",
      tags: ["Setup"],
      requestBody: jsonBody(backfillBody),
      responses: {
        "200": json(schemaRef("BackfillProgress"), "Done"),
        "202": json(schemaRef("BackfillProgress"), "Pages remain; importing continues in the background"),
        ...badRequest(),
        "502": error("`vendor_error`: the vendor refused a page (error.retryable, error.progress); the run keeps its cursor"),
        ...adminErrors,
        "503": error("`source_not_configured`: the source's API credential is not set; or `admin_disabled`, `config_error`"),
      },
    },
    get: {
      operationId: "listBackfills",
      summary: "Progress of each source's latest backfill",
      tags: ["Setup"],
      responses: { "200": json({ type: "object", properties: { runs: { type: "array", items: schemaRef("BackfillProgress") } } }), ...adminErrors },
    },
  },
};
