import { z } from "zod";
import { healthModelSchema } from "../core/health";
import { stages } from "../core/lifecycle";
import { MAX_REPLAY_CUSTOMERS } from "../history";
import { adminErrors, badRequest, json, jsonBody, jsonSchemaOf } from "./openapi-parts";
import { modelVersionPaths } from "./model-versions-openapi";

/** OpenAPI paths of the health model: the model in force, re-scoring, and backtests (src/routes/model.ts). */

// The body schemas of src/routes/model.ts, as a client sends them.
const instant = z.union([z.int().nonnegative(), z.iso.datetime()]).describe("ms since epoch or an ISO 8601 date-time");
const recomputeBody = z.object({
  asOf: instant.optional().describe("Report scores as of this instant, changing nothing. Without it, every customer is re-scored now and stored."),
  customerIds: z.array(z.string()).max(500).optional().describe("With asOf: only these customers."),
  after: z.string().optional().describe("With asOf: the customer id to page on from (the previous answer's `next`)."),
});
const backtestBody = z.object({
  model: healthModelSchema.optional().describe("A health model to try; default the one in force (read from the timeline)."),
  horizonDays: z.int().min(1).max(730).default(90).describe("A score counts as predicting churn within this many days."),
  stepDays: z.int().min(1).max(90).default(7).describe("Days between the scored points of each customer."),
});

const band = { enum: ["green", "yellow", "red"] };
const perBand = (value: object) => ({ type: "object", properties: { green: value, yellow: value, red: value } });

export const modelPaths = {
  ...modelVersionPaths,
  "/api/model": {
    get: {
      operationId: "getHealthModel",
      summary: "The active health model version (weights, bands, overrides, version)",
      tags: ["Model"],
      responses: {
        "200": json({
          type: "object",
          properties: {
            versionId: { type: "string", description: "The active version's id (`default`: TENURE_CONFIG's model)." },
            model: jsonSchemaOf(healthModelSchema, "output"),
          },
        }),
        ...adminErrors,
      },
    },
  },
  "/api/recompute": {
    post: {
      operationId: "recomputeScores",
      summary: "Re-score every customer now, or report scores as of an instant",
      description:
        "Without `asOf`: re-scores every customer and stores the result (what the daily cron does). " +
        `With \`asOf\`: each customer's score, band and stage as of that instant from the event-time timeline (the close of the last day before it), changing nothing; at most ${MAX_REPLAY_CUSTOMERS} customers per call, \`next\` is the \`after\` of the next page.`,
      tags: ["Model"],
      requestBody: jsonBody(recomputeBody),
      responses: {
        "200": json({
          oneOf: [
            { type: "object", required: ["recomputed"], properties: { recomputed: { type: "integer", description: "Customers re-scored." } } },
            {
              type: "object",
              required: ["asOf", "customers", "next"],
              properties: {
                asOf: { type: "integer", description: "ms since epoch" },
                customers: {
                  type: "array",
                  items: { type: "object", properties: { id: { type: "string" }, score: { type: "integer" }, band, stage: { enum: stages }, at: { type: "integer", description: "The timeline point used, ms since epoch." } } },
                },
                next: { type: ["string", "null"], description: "Pass as `after` for the next page; null on the last." },
              },
            },
          ],
        }),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
  "/api/model/backtest": {
    post: {
      operationId: "backtestHealthModel",
      summary: "How well a model's scores predicted churn: AUC and churn rate per band",
      description:
        "The model in force is read from the timeline (what it said at each day's close, in event time; `fromTimeline` counts those customers); " +
        `another model is scored on the kept facts as they stood on each day. At most ${MAX_REPLAY_CUSTOMERS} customers (\`capped\` says so).`,
      tags: ["Model"],
      requestBody: jsonBody(backtestBody),
      responses: {
        "200": json({
          type: "object",
          properties: {
            modelVersion: { type: "string" },
            horizonDays: { type: "integer" },
            customers: { type: "integer" },
            fromTimeline: { type: "integer" },
            capped: { type: "boolean" },
            auc: { type: ["number", "null"], description: "P(a churner's score < a non-churner's score), ties counting half; null without both kinds." },
            churnRateByBand: perBand({ type: ["number", "null"] }),
            samplesByBand: perBand({ type: "integer" }),
            samples: { type: "integer", description: "Scored points with a known outcome." },
            churned: { type: "integer" },
            censored: { type: "integer", description: "Points too recent to know whether churn followed within the horizon." },
          },
        }),
        ...badRequest("`bad_request`: the body or the model fails its schema (error.path)"),
        ...adminErrors,
      },
    },
  },
};
