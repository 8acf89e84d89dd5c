import { sourceNameSchema } from "../core/events";
import { loyaltyPaths } from "./loyalty-openapi";
import { metricsPaths } from "./metrics-openapi";

/** The public contract of Tenure's HTTP API. */

const error = { $ref: "#/components/schemas/Error" };
const bearer = [{ admin: [] }];
const q = (name: string, description: string, schema: object = { type: "string" }) => ({ name, in: "query", required: false, description, schema });
const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
const errors = { "401": json(error, "Missing or wrong admin token"), "400": json(error, "Invalid query or body") };

export const openapiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Tenure",
    version: "0.1.0",
    description: "Customer health and loyalty hub. Webhooks in, health scores and loyalty stages out.",
  },
  components: {
    securitySchemes: { admin: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret." } },
    schemas: {
      Error: {
        type: "object",
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: { code: { type: "string" }, message: { type: "string" }, reason: { type: "string" }, path: { type: "string" }, requestId: { type: "string" } },
          },
        },
      },
      Customer: {
        type: "object",
        properties: {
          id: { type: "string" },
          name: { type: ["string", "null"] },
          domain: { type: ["string", "null"] },
          externalIds: { type: "object", description: "stripe, hubspot, segment_group, account", additionalProperties: { type: "string" } },
          health: {
            type: ["object", "null"],
            properties: {
              score: { type: "integer", minimum: 0, maximum: 100 },
              band: { enum: ["green", "yellow", "red"] },
              trend: { type: "object", properties: { d7: { type: ["number", "null"] }, d30: { type: ["number", "null"] } } },
              components: { type: "object", description: "billing, support, usage, sentiment, relationship: 0–100 or null when there is no data", additionalProperties: { type: ["number", "null"] } },
              drivers: { type: "array", items: { type: "object", properties: { factor: { type: "string" }, impact: { type: "number" }, detail: { type: "string" } } } },
              modelVersion: { type: "string" },
              coverage: { type: "number", description: "Share (0–1) of the model's weight that had data." },
            },
          },
          stage: {
            type: "object",
            properties: {
              current: { enum: ["awareness", "conversion", "purchase", "onboarding", "renewal", "loyalty", "churned"] },
              since: { type: ["integer", "null"], description: "ms since epoch" },
            },
          },
          mrr: { type: "integer", description: "Monthly recurring revenue, minor units" },
        },
      },
      Event: { type: "object", description: "An inbox row: one provider delivery." },
      BackfillProgress: {
        type: "object",
        properties: {
          source: { enum: ["stripe", "hubspot"] },
          status: { enum: ["idle", "running", "failed", "done"] },
          busy: { type: "boolean", description: "A worker is importing a page right now." },
          error: { type: ["string", "null"], description: "Why the last page failed; POST again to resume." },
          read: { type: "integer", description: "Records read from the vendor in this run." },
          imported: { type: "integer", description: "Records that were new to the inbox (the rest were already there)." },
          objects: { type: "array", items: { type: "object", properties: { object: { type: "string" }, done: { type: "boolean" }, pages: { type: "integer" }, read: { type: "integer" }, imported: { type: "integer" } } } },
        },
      },
      Action: { type: "object", description: "An outbox row: one outbound action; id is its idempotency key." },
    },
  },
  paths: {
    "/health": { get: { summary: "Liveness and which sources/connectors are configured", responses: { "200": json({ type: "object" }) } } },
    "/webhooks/{source}": {
      post: {
        summary: "Receive a signed webhook",
        description:
          "Raw body verified before parsing. 413 over 256 KiB; 404 unknown source; 503 when the source's secret is not set; 401 bad/stale/future signature (error.reason says which); 400 signed but malformed (error.path); 2xx only after the delivery is committed. Duplicates answer 2xx and change nothing.",
        parameters: [{ name: "source", in: "path", required: true, schema: { enum: ["stripe", "hubspot", "zendesk", "intercom", "freshdesk", "helpscout", "segment", "delighted", "typeform"] } }],
        responses: { "200": json({ type: "object", properties: { received: { type: "integer" }, duplicates: { type: "integer" }, ignored: { type: "integer" } } }), "401": json(error), "400": json(error), "404": json(error), "413": json(error), "503": json(error) },
      },
    },
    "/api/customers": {
      get: {
        summary: "List customers (lowest score first)",
        security: bearer,
        parameters: [q("band", "green | yellow | red"), q("stage", "loyalty stage"), q("stripeCustomerId", "Stripe customer id"), q("hubspotCompanyId", "HubSpot company id"), q("domain", "email/web domain"), q("limit", "1–500", { type: "integer" }), q("offset", "paging", { type: "integer" })],
        responses: { "200": json({ type: "object", properties: { customers: { type: "array", items: { $ref: "#/components/schemas/Customer" } } } }), ...errors },
      },
    },
    "/api/customers/{id}": {
      get: { summary: "One customer with health, drivers and stage", security: bearer, responses: { "200": json({ $ref: "#/components/schemas/Customer" }), "404": json(error), ...errors } },
    },
    "/api/customers/{id}/links": {
      post: {
        summary: "Link an external id or domain to a customer; unmatched events waiting for it are applied",
        security: bearer,
        requestBody: { content: { "application/json": { schema: { type: "object", required: ["kind", "value"], properties: { kind: { enum: ["stripe", "hubspot", "segment_group", "account", "domain"] }, value: { type: "string" } } } } } },
        responses: { "201": json({ type: "object" }), "409": json(error, "Already linked to another customer"), ...errors },
      },
    },
    "/api/events": {
      get: { summary: "Inbox events", security: bearer, parameters: [q("status", "received | processed | ignored | unmatched | failed"), q("source", "source name")], responses: { "200": json({ type: "object" }), ...errors } },
    },
    "/api/events/redrive": {
      post: {
        summary: "Re-drive failed inbox events (dead-lettered after every retry)",
        description:
          "Puts `failed` inbox rows matching every given filter back to `received` with their attempts reset, and enqueues them; the oldest first, at most 500 per call. " +
          "`more: true` means matching failed events remain: call again. An empty body re-drives any failed event. `from` and `to` bound the time the event was received (ms since epoch, inclusive).",
        security: bearer,
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                additionalProperties: false,
                properties: {
                  ids: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 500, description: "Inbox ids, e.g. stripe:evt_…" },
                  from: { type: "integer", minimum: 0 },
                  to: { type: "integer", minimum: 0 },
                  source: { enum: sourceNameSchema.options },
                },
              },
            },
          },
        },
        responses: {
          "202": json({ type: "object", properties: { redriven: { type: "integer" }, ids: { type: "array", items: { type: "string" } }, more: { type: "boolean" } } }, "Re-driven"),
          ...errors,
        },
      },
    },
    "/api/unmatched": { get: { summary: "Events that match no customer yet, with the keys they wait for", security: bearer, responses: { "200": json({ type: "object" }), ...errors } } },
    "/api/actions": {
      get: { summary: "Outbox actions", security: bearer, parameters: [q("status", "pending | delivered | skipped | failed | dead"), q("type", "e.g. hubspot.properties"), q("destination", "hubspot | slack | stripe")], responses: { "200": json({ type: "object" }), ...errors } },
    },
    "/api/actions/{id}/retry": {
      post: { summary: "Retry a failed, dead or skipped action (a delivered one is never sent twice)", security: bearer, responses: { "202": json({ type: "object" }), "404": json(error), "409": json(error), ...errors } },
    },
    "/api/backfill": {
      post: {
        summary: "Import existing Stripe or HubSpot records (resumable)",
        description:
          "Starts a backfill (or resumes a failed or interrupted one; after a finished run, starts a new one) and imports its first page before answering, then keeps importing in the background. " +
          "Stripe: customers, subscriptions, invoices; HubSpot: companies, contacts, deals (with their company). Records go through the webhook dedupe path, keyed by their facts, so a re-run within the source's dedupe window (docs/sources.md) imports nothing twice. " +
          "POST again at any time to resume from the stored cursor; `restart: true` starts over. 200 when done, 202 while pages remain; 503 without the source's API credential; 502 when the vendor refused a page (error.retryable, error.progress).",
        security: bearer,
        requestBody: { content: { "application/json": { schema: { type: "object", required: ["source"], properties: { source: { enum: ["stripe", "hubspot"] }, restart: { type: "boolean", default: false } } } } } },
        responses: { "200": json({ $ref: "#/components/schemas/BackfillProgress" }), "202": json({ $ref: "#/components/schemas/BackfillProgress" }, "Pages remain"), "502": json(error), "503": json(error), ...errors },
      },
      get: {
        summary: "Progress of each source's latest backfill",
        security: bearer,
        responses: { "200": json({ type: "object", properties: { runs: { type: "array", items: { $ref: "#/components/schemas/BackfillProgress" } } } }), ...errors },
      },
    },
    ...loyaltyPaths,
    ...metricsPaths,
  },
} as const;
