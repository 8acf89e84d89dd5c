import { z } from "zod";
import { destinationSchema } from "../core/actions";
import { sourceNameSchema } from "../core/events";
import { REDRIVE_LIMIT } from "./redrive";
import { adminErrors, badRequest, error, json, jsonBody, notFound, pathParam, queryParams, schemaRef } from "./openapi-parts";

/** OpenAPI paths of the inbox (vendor deliveries) and the outbox (actions to vendors): src/routes/admin.ts and redrive.ts. */

// The query and body schemas of src/routes/admin.ts and redrive.ts, as a client sends them.
const limit = z.int().min(1).max(500).default(100);
const ms = z.int().nonnegative();
const eventsQuery = z.object({ status: z.enum(["received", "processed", "ignored", "unmatched", "failed"]).optional(), source: z.string().optional(), limit });
const redriveBody = z.strictObject({
  ids: z.array(z.string().min(1).max(500)).min(1).max(REDRIVE_LIMIT).optional().describe("Inbox ids, e.g. stripe:evt_…"),
  from: ms.optional().describe("Received at or after, ms since epoch."),
  to: ms.optional().describe("Received at or before, ms since epoch; not before `from`."),
  source: sourceNameSchema.optional(),
});
const actionsQuery = z.object({
  status: z.enum(["pending", "delivered", "skipped", "failed", "dead"]).optional(),
  type: z.string().optional(),
  destination: destinationSchema.optional(),
  customerId: z.string().optional(),
  limit,
});
const replayBody = z.object({
  from: ms.optional().describe("Created at or after, ms since epoch."),
  to: ms.optional().describe("Created at or before, ms since epoch; default now."),
  destination: destinationSchema.optional(),
  status: z.enum(["failed", "dead"]).optional().describe("Default: both."),
});

const events = (items: object) => json({ type: "object", properties: { events: { type: "array", items } } });
const queued = (description: string, properties: Record<string, object>) => json({ type: "object", properties }, description);

export const pipelinePaths = {
  "/api/events": {
    get: {
      operationId: "listInboxEvents",
      summary: "Inbox events, newest first",
      tags: ["Inbox"],
      parameters: queryParams(eventsQuery, { status: "Inbox status.", source: "Source name, e.g. stripe.", limit: "Page size." }),
      responses: { "200": events(schemaRef("InboxEvent")), ...badRequest(), ...adminErrors },
    },
  },
  "/api/unmatched": {
    get: {
      operationId: "listUnmatchedEvents",
      summary: "Events that match no customer yet, with the keys they wait for",
      description: "Kept UNMATCHED_RETENTION_DAYS (default 90). Linking one of the keys (POST /api/customers/{id}/links) applies them.",
      tags: ["Inbox"],
      parameters: queryParams(z.object({ limit }), { limit: "Page size." }),
      responses: {
        "200": events({ allOf: [schemaRef("InboxEvent"), { type: "object", properties: { waitingFor: { type: "array", items: { type: "string", description: "kind:value, e.g. domain:acme.example" } } } }] }),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
  "/api/events/redrive": {
    post: {
      operationId: "redriveFailedEvents",
      summary: "Re-drive failed inbox events (dead-lettered after every retry)",
      description:
        `Puts \`failed\` inbox rows matching every given filter back to \`received\` with their attempts reset, and enqueues them; the oldest first, at most ${REDRIVE_LIMIT} per call. ` +
        "`more: true` means matching failed events remain: call again. An empty body re-drives any failed event; a body that is not JSON is refused.",
      tags: ["Inbox"],
      requestBody: jsonBody(redriveBody),
      responses: {
        "202": queued("Re-driven", { redriven: { type: "integer" }, ids: { type: "array", items: { type: "string" } }, more: { type: "boolean" } }),
        ...badRequest("`bad_request`: not JSON, an unknown field, or `from` after `to` (error.path)"),
        ...adminErrors,
      },
    },
  },
  "/api/actions": {
    get: {
      operationId: "listActions",
      summary: "Outbox actions, most recently updated first",
      tags: ["Outbox"],
      parameters: queryParams(actionsQuery, { status: "Outbox status.", type: "Action type, e.g. hubspot.properties.", destination: "Destination.", customerId: "A Tenure customer id.", limit: "Page size." }),
      responses: { "200": json({ type: "object", properties: { actions: { type: "array", items: schemaRef("Action") } } }), ...badRequest(), ...adminErrors },
    },
  },
  "/api/actions/{id}/retry": {
    post: {
      operationId: "retryAction",
      summary: "Put a failed, dead or skipped action back in line",
      description: "A pending action is left as it is (202 too); a delivered one is never sent twice (409).",
      tags: ["Outbox"],
      parameters: [pathParam("id", "The action id (its idempotency key).")],
      responses: {
        "202": queued("Queued", { id: { type: "string" }, status: { const: "pending" }, queued: { const: true } }),
        ...notFound("action"),
        "409": error("`already_delivered`: it was delivered"),
        ...adminErrors,
      },
    },
  },
  "/api/actions/replay": {
    post: {
      operationId: "replayDeadLetters",
      summary: "Replay failed and dead actions by time range and destination",
      description: "Delivered actions are never touched. An empty body replays every failed or dead action.",
      tags: ["Outbox"],
      requestBody: jsonBody(replayBody),
      responses: { "202": queued("Queued", { replayed: { type: "integer" }, ids: { type: "array", items: { type: "string" } } }), ...badRequest(), ...adminErrors },
    },
  },
  "/api/destinations": {
    get: {
      operationId: "listDestinations",
      summary: "Each destination: configured or not, and its rate limiter / circuit breaker state",
      tags: ["Outbox"],
      responses: {
        "200": json({
          type: "object",
          properties: {
            destinations: {
              type: "object",
              propertyNames: { enum: destinationSchema.options },
              additionalProperties: {
                type: "object",
                properties: {
                  enabled: { type: "boolean" },
                  disabledReason: { type: ["string", "null"], description: "The secret to set, when disabled." },
                  breaker: {
                    type: ["object", "null"],
                    properties: {
                      mode: { enum: ["closed", "open", "half_open"] },
                      openedAt: { type: ["integer", "null"] },
                      consecutiveFailures: { type: "integer" },
                      recentCalls: { type: "integer" },
                      recentFailures: { type: "integer" },
                      pausedUntil: { type: ["integer", "null"], description: "ms since epoch, while the vendor asked Tenure to wait." },
                      pauseReason: { type: ["string", "null"] },
                    },
                  },
                },
              },
            },
          },
        }),
        ...adminErrors,
      },
    },
  },
};
