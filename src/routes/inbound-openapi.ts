import { sources } from "../../webhooks/registry";
import { MAX_BODY_BYTES } from "./webhooks";
import { error, json, pathParam, serverErrors } from "./openapi-parts";

/** Public routes: liveness, this document, and the vendor callbacks, which authenticate by signature, not by token. */

const kib = MAX_BODY_BYTES / 1024;
const notConfigured = (what: string) =>
  error(`\`source_not_configured\`: ${what} (error.secret names it); or \`config_error\`: a variable fails its schema`);

export const inboundPaths = {
  "/health": {
    get: {
      operationId: "getHealth",
      summary: "Liveness and what is configured",
      description: "No auth. Each source and connector is `enabled` or `disabled: set <SECRET>`; `sweeper` counts inbox rows the 2-minute sweeper had to hand to the queue (should stay 0).",
      tags: ["Status"],
      security: [],
      responses: {
        "200": json({
          type: "object",
          required: ["ok", "db", "sources", "connectors", "admin"],
          properties: {
            ok: { type: "boolean" },
            db: { enum: ["ok", "unavailable"] },
            sources: { type: "object", additionalProperties: { type: "string" } },
            plugins: {
              type: "object",
              description: "Declared sources (plugins/*.json): each one's status, marked `(weaker: …)` when its scheme signs nothing; `broken` lists the declarations refused at load.",
              properties: { sources: { type: "object", additionalProperties: { type: "string" } }, broken: { type: "array", items: { type: "string" } } },
            },
            connectors: { type: "object", additionalProperties: { type: "string" } },
            queues: {
              type: "object",
              description:
                "`events.backlog`: messages waiting on the events queue (carried deliveries, inbox ids, job pages); null where the runtime gives no metrics. `events.held`: usage deliveries the account shards hold for SHARD_HOLD_MS before applying them together; null when nothing is held that way.",
              properties: { events: { type: "object", properties: { backlog: { type: ["integer", "null"] }, held: { type: ["integer", "null"] } } } },
            },
            enrichment: {
              type: "object",
              description: "Vendor lookups that attach id-only events (HubSpot associations, Zendesk requesters): `enabled`, or `off: <what is missing> …`.",
              properties: { hubspot: { type: "string" }, zendesk: { type: "string" } },
            },
            polls: {
              type: "object",
              description: "Daily reads of vendor APIs for facts no webhook carries (Freshdesk satisfaction ratings, HubSpot survey responses): `enabled`, or `off: <what is missing> …`.",
              properties: { freshdeskCsat: { type: "string" }, hubspotFeedback: { type: "string" } },
            },
            sweeper: { type: ["object", "null"], properties: { rescued: { type: "integer" }, lastRescueAt: { type: ["string", "null"], format: "date-time" } } },
            admin: { type: "string" },
            member: { type: "string", description: "The member API and widget: `enabled`, or `disabled: set TENURE_MEMBER_SECRET`." },
          },
        }),
        "503": json({ type: "object", properties: { ok: { const: false }, db: { const: "unavailable" } } }, "D1 does not answer (the same body with ok: false), or `config_error` (the Error schema)"),
        ...serverErrors,
      },
    },
  },
  "/openapi.json": {
    get: {
      operationId: "getOpenApiDocument",
      summary: "This document",
      tags: ["Status"],
      security: [],
      responses: { "200": json({ type: "object", description: "OpenAPI 3.1" }), ...serverErrors },
    },
  },
  "/webhooks/{source}": {
    post: {
      operationId: "receiveWebhook",
      summary: "Receive a signed vendor webhook",
      description:
        "Authenticated by the vendor's signature, not by the admin token: each source verifies its own scheme (Stripe-Signature, X-HubSpot-Signature-v3, ...) " +
        `over the raw body, in constant time, with a 5-minute window. The raw body (at most ${kib} KiB) is verified before it is parsed. ` +
        "2xx only after the delivery is durable: committed to D1, or, for the sources in QUEUE_CARRIED_SOURCES (Segment by default), accepted by the events queue, whose consumer writes its inbox row with its effects. " +
        "Duplicates and event types Tenure does not use answer 200 and change nothing. 503 `queue_unavailable` when the queue refused a carried delivery: nothing was kept, retry it.",
      tags: ["Webhooks"],
      security: [],
      parameters: [pathParam("source", "The vendor that sent it: a built-in or bundled source, or one stored through POST /api/plugins.", { anyOf: [{ enum: Object.keys(sources) }, { type: "string", pattern: "^[a-z][a-z0-9-]{1,39}$" }] })],
      requestBody: { required: true, content: { "application/json": { schema: { type: "object", description: "The vendor's payload, byte for byte as it was signed." } } } },
      responses: {
        "200": json({
          type: "object",
          required: ["received", "duplicates", "ignored"],
          properties: {
            received: { type: "integer", description: "Deliveries in the body." },
            duplicates: { type: "integer", description: "Deliveries already in the inbox. A carried delivery is checked when it is applied, so it is never counted here." },
            queued: { type: "integer", description: "For a source in QUEUE_CARRIED_SOURCES: deliveries carried on the events queue, not yet in the inbox." },
            ignored: { type: "integer", description: "Deliveries of event types Tenure does not use." },
          },
        }),
        "400": error("Signed but unusable: `invalid_json`, `invalid_payload` (error.path), `time_out_of_range` (a time outside 2000–2100 or past MAX_EVENT_FUTURE_HOURS)"),
        "401": error("`invalid_signature`: missing, wrong, stale or future-dated signature (error.reason says which)"),
        "404": error("`unknown_source`: no source of that name"),
        "413": error(`\`payload_too_large\`: the body is over ${kib} KiB`),
        "503": notConfigured("the source's secret is not set; or `source_broken`: a stored declaration that no longer parses (error.path)"),
        ...serverErrors,
      },
    },
  },
  "/slack/events": {
    post: {
      operationId: "receiveSlackInteraction",
      summary: "Slack alert buttons (Acknowledge, Snooze 7 days) and the /health slash command",
      description:
        "Authenticated by Slack's v0 request signature (SLACK_SIGNING_SECRET) over the raw body, not by the admin token. " +
        "Answered within Slack's 3 seconds; the alert message is updated afterwards. Other interaction types and Slack's ssl_check get an empty 200.",
      tags: ["Webhooks"],
      security: [],
      requestBody: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: {
              type: "object",
              properties: {
                payload: { type: "string", description: "Interactivity: the block_actions payload as JSON." },
                command: { type: "string", description: "Slash command: `/health`." },
                text: { type: "string", description: "Slash command: a domain or company name." },
                ssl_check: { type: "string" },
              },
            },
          },
        },
      },
      responses: {
        "200": {
          description: "A button click recorded (empty body), or the slash command's ephemeral reply",
          content: { "application/json": { schema: { type: "object", properties: { response_type: { const: "ephemeral" }, text: { type: "string" } } } } },
        },
        "400": error("`invalid_payload`: neither an interactivity payload nor a slash command"),
        "401": error("`invalid_signature`: missing, wrong or stale Slack signature (error.reason)"),
        "404": error("`not_found`: the button's alert is not known to Tenure"),
        "413": error(`\`payload_too_large\`: the body is over ${kib} KiB`),
        "503": notConfigured("SLACK_SIGNING_SECRET is not set"),
        ...serverErrors,
      },
    },
  },
};
