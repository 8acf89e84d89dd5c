import { z } from "zod";
import { mergeBodySchema, unlinkKindSchema } from "./customers-merge-schemas";
import { adminErrors, badRequest, error, json, jsonBody, notFound, pathParam, queryParams, schemaRef } from "./openapi-parts";

/** OpenAPI paths of identity repair (src/routes/customers-merge.ts). */

const customerId = pathParam("id", "A Tenure customer id.");
const key = { type: "object", properties: { kind: { type: "string" }, value: { type: "string" } } };

export const mergePaths = {
  "/api/customers/{id}/merge": {
    post: {
      operationId: "mergeCustomer",
      summary: "Merge another customer into this one",
      description:
        "Moves every identity, fact, history point, stage change, referral, points entry and outbox row of `from` to this customer in one " +
        "transaction, re-scores it from both customers' facts, and leaves `from` as a pointer: `GET /api/customers/{from}` answers 308 to " +
        "this one and lists never show it again. The older part of the timeline is recomputed by a background job. Asking again answers " +
        "the same survivor with `alreadyMerged: true`.",
      tags: ["Customers"],
      parameters: [customerId],
      requestBody: jsonBody(mergeBodySchema),
      responses: {
        "200": json(
          {
            allOf: [
              schemaRef("Customer"),
              {
                type: "object",
                properties: {
                  merge: {
                    type: "object",
                    properties: {
                      from: { type: "string" },
                      into: { type: "string" },
                      alreadyMerged: { type: "boolean" },
                      moved: { type: ["object", "null"], additionalProperties: { type: "integer" }, description: "Rows moved per table (null when already merged)." },
                    },
                  },
                },
              },
            ],
          },
          "The surviving customer",
        ),
        ...badRequest(),
        ...notFound("customer"),
        "409": error(
          "`same_customer`: a customer into itself; `merged_customer`: one of them was already merged (error.mergedInto names where); " +
            "`referral_conflict`: a referral between them, both referred, or both with a referral code",
        ),
        ...adminErrors,
      },
    },
  },
  "/api/customers/{id}/links/{kind}/{value}": {
    delete: {
      operationId: "unlinkCustomerIdentity",
      summary: "Unlink one external id or domain from a customer",
      description:
        "The key no longer resolves to the customer, and is never linked back to it automatically: later events with it are unmatched, or " +
        "create a customer of their own where their source may. `segment_group` and `account` are one key space: unlinking one unlinks both. " +
        "Linking it again with POST /api/customers/{id}/links lifts the unlink.",
      tags: ["Customers"],
      parameters: [
        customerId,
        pathParam("kind", "The key's kind.", { type: "string", enum: unlinkKindSchema.options }),
        pathParam("value", "The id or domain (URL-encoded).", { type: "string", minLength: 1, maxLength: 255 }),
      ],
      responses: {
        "200": json({ type: "object", properties: { customerId: { type: "string" }, unlinked: { type: "array", items: key } } }, "Unlinked"),
        ...badRequest("`bad_request`: an unknown kind, or a value over 255 characters"),
        ...notFound("customer, or no such link on it"),
        ...adminErrors,
      },
    },
  },
  "/api/identity-conflicts": {
    get: {
      operationId: "listIdentityConflicts",
      summary: "Events refused because their explicit ids contradict each other",
      description:
        "An event whose ids would link a key to (or merge) a customer that already holds a different id of the same kind is left unmatched; " +
        "each conflict names the key, the customer and the id it holds. Resolve by merging, linking or unlinking.",
      tags: ["Customers"],
      parameters: queryParams(z.object({ limit: z.int().min(1).max(500).default(100) }), { limit: "At most this many, newest first." }),
      responses: {
        "200": json({
          type: "object",
          properties: {
            conflicts: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  eventId: { type: "string" },
                  kind: { type: "string" },
                  value: { type: "string" },
                  customerId: { type: "string" },
                  held: { type: "string" },
                  reason: { type: "string" },
                  at: { type: "string", format: "date-time" },
                },
              },
            },
          },
        }),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
};
