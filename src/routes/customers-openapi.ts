import { z } from "zod";
import { stages } from "../core/lifecycle";
import { adminErrors, badRequest, error, json, jsonBody, notFound, pathParam, queryParams, schemaRef } from "./openapi-parts";
import { mergePaths } from "./customers-merge-openapi";

/** OpenAPI paths of customers, identity links and personal-data erasure (src/routes/admin.ts). */

// The query and body schemas of src/routes/admin.ts, as a client sends them (query strings are coerced there).
const customersQuery = z.object({
  band: z.enum(["green", "yellow", "red"]).optional(),
  stage: z.enum(stages).optional(),
  stripeCustomerId: z.string().optional(),
  hubspotCompanyId: z.string().optional(),
  domain: z.string().optional(),
  limit: z.int().min(1).max(500).default(100),
  offset: z.int().min(0).default(0),
});
const linkBody = z.object({ kind: z.enum(["stripe", "hubspot", "segment_group", "account", "domain"]), value: z.string().min(1).max(255) });

const customerId = pathParam("id", "A Tenure customer id.");
const erasureAnswer = json(schemaRef("Erasure"), "The erasure, started or already running");

export const customerPaths = {
  "/api/customers": {
    get: {
      operationId: "listCustomers",
      summary: "List customers, lowest score first",
      tags: ["Customers"],
      parameters: queryParams(customersQuery, {
        band: "Health band.",
        stage: "Loyalty stage.",
        stripeCustomerId: "Customers linked to this Stripe customer.",
        hubspotCompanyId: "Customers linked to this HubSpot company.",
        domain: "Customers linked to this email or web domain (case-insensitive).",
        limit: "Page size.",
        offset: "Customers to skip.",
      }),
      responses: {
        "200": json({ type: "object", properties: { customers: { type: "array", items: schemaRef("Customer") }, limit: { type: "integer" }, offset: { type: "integer" } } }),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
  "/api/customers/{id}": {
    get: {
      operationId: "getCustomer",
      summary: "One customer with health, drivers and stage",
      tags: ["Customers"],
      parameters: [customerId],
      responses: {
        "200": json(schemaRef("Customer")),
        "308": json(
          {
            type: "object",
            required: ["id", "mergedInto", "location"],
            properties: { id: { type: "string" }, mergedInto: { type: "string" }, mergedAt: { type: "string", format: "date-time" }, location: { type: "string" } },
          },
          "The customer was merged into another; `Location` (and `mergedInto`) name the survivor",
        ),
        ...notFound("customer"),
        ...adminErrors,
      },
    },
  },
  ...mergePaths,
  "/api/customers/{id}/links": {
    post: {
      operationId: "linkCustomerIdentity",
      summary: "Link an external id or a domain to a customer",
      description: "Unmatched events waiting for that id or domain are then applied; `redriven` counts them.",
      tags: ["Customers"],
      parameters: [customerId],
      requestBody: jsonBody(linkBody),
      responses: {
        "201": json(
          { type: "object", properties: { linked: { type: "object", properties: { kind: { type: "string" }, value: { type: "string" } } }, redriven: { type: "integer" } } },
          "Linked",
        ),
        ...badRequest(),
        ...notFound("customer"),
        "409": error("`already_linked`: the id or domain belongs to another customer"),
        ...adminErrors,
      },
    },
  },
  "/api/contacts/{id}": {
    delete: {
      operationId: "eraseContact",
      summary: "Erase one person's personal data everywhere in Tenure",
      description:
        "A paged job over every table and stored payload; anonymous facts and scores stay. Also started by HubSpot's contact.privacyDeletion. " +
        "A second request while it runs answers the same erasure (and sends its next page again). Follow it at `statusUrl`.",
      tags: ["Privacy"],
      parameters: [pathParam("id", "A contact id, e.g. hubspot:123 or segment:user_1.", { type: "string", minLength: 1, maxLength: 512 })],
      responses: { "202": erasureAnswer, ...badRequest("`bad_request`: the id is over 512 characters"), ...notFound("contact"), ...adminErrors },
    },
  },
  "/api/erasures/{id}": {
    get: {
      operationId: "getErasure",
      summary: "Progress of a personal-data erasure",
      tags: ["Privacy"],
      parameters: [pathParam("id", "The erasure id from DELETE /api/contacts/{id}.")],
      responses: { "200": json(schemaRef("Erasure")), ...notFound("erasure"), ...adminErrors },
    },
  },
};
