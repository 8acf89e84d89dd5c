import { definitions } from "../core/metrics/definitions";
import { metricsQuerySchema } from "./metrics";
import { adminErrors, error, queryParams } from "./openapi-parts";

/** GET /api/metrics in the OpenAPI document: every definition is the one the response carries. */

const metric = (name: keyof typeof definitions, value: object = { type: ["number", "null"] }) => ({
  type: "object",
  description: definitions[name],
  required: ["value", "unit", "definition"],
  properties: { value, unit: { type: "string" }, definition: { type: "string", const: definitions[name] } },
  additionalProperties: true,
});

const list = Object.entries(definitions)
  .map(([k, v]) => `- **${k}**: ${v}`)
  .join("\n");

export const metricsPaths = {
  "/api/metrics": {
    get: {
      summary: "Customer-success metrics over a window, per period, and optionally per segment",
      description:
        "Each metric is `{ value, unit, definition, ...arithmetic }`; `series` repeats the windowed metrics per calendar month or ISO week (UTC), " +
        "`segments` per band, stage, or in/out of a named segment. Loyalty metrics are null while the loyalty tables do not exist.\n\n" +
        list,
      operationId: "getMetrics",
      tags: ["Metrics"],
      parameters: queryParams(metricsQuerySchema, {
        from: "Start (inclusive), ms since epoch or ISO 8601. Default: `to` minus 30 days.",
        to: "End (exclusive), ms since epoch or ISO 8601. Default: now. At most 731 days after `from`.",
        period: "The buckets of `series` and of the top ticket topics.",
        segment: "band | stage | a segment name (e.g. vip): also compute the windowed metrics per group.",
        grossMargin: "Gross margin for CLV, (0, 1].",
      }),
      responses: {
        "200": {
          description: "OK",
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  window: { type: "object", properties: { from: { type: "integer" }, to: { type: "integer" }, period: { type: "string" }, fromIso: { type: "string" }, toIso: { type: "string" } } },
                  loyaltyProgram: { enum: ["available", "loyalty tables absent"] },
                  metrics: {
                    type: "object",
                    properties: {
                      ...Object.fromEntries(
                        (["nps", "csat", "retention", "logoChurn", "revenueChurn", "netRevenueRetention", "customerLifetimeValue", "newCustomers", "loyaltyEnrollment", "activeAccounts", "pointsEarned", "pointsRedeemed", "referralRate", "onboardingCompletion", "timeToFirstValue"] as const).map((k) => [k, metric(k)]),
                      ),
                      healthDistribution: metric("healthDistribution", { type: "object" }),
                      stageFunnel: metric("stageFunnel", { type: "array", items: { type: "object", properties: { stage: { type: "string" }, current: { type: "integer" }, reached: { type: "integer" }, conversion: { type: ["number", "null"] } } } }),
                      referralFunnel: metric("referralFunnel", { type: ["array", "null"] }),
                      topTicketTopics: metric("topTicketTopics", { type: "array", items: { type: "object", properties: { period: { type: "string" }, tickets: { type: "integer" }, topics: { type: "array" } } } }),
                    },
                  },
                  series: { type: "array", items: { type: "object", properties: { period: { type: "string" }, from: { type: "integer" }, to: { type: "integer" }, values: { type: "object" }, n: { type: "object", description: "Sample size behind each rate of the period (responses, customers paying at its start, new customers...)." } } } },
                  segments: { type: ["object", "null"], properties: { by: { type: "string" }, groups: { type: "array", items: { type: "object", properties: { value: { type: "string" }, customers: { type: "integer" }, values: { type: "object" } } } } } },
                },
              },
            },
          },
        },
        "400": error("`bad_request`: a parameter fails its schema (error.path), or the window is empty or over 731 days (error.from, error.to)"),
        ...adminErrors,
      },
    },
  },
};
