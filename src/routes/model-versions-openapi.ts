import { z } from "zod";
import { healthModelSchema } from "../core/health";
import { MAX_REPLAY_CUSTOMERS } from "../history";
import { calibrateBody } from "./model-calibrate";
import { adminErrors, badRequest, error, json, jsonBody, jsonSchemaOf, notFound, pathParam } from "./openapi-parts";

/** OpenAPI paths of model versions and calibration (src/routes/model-versions.ts, src/routes/model-calibrate.ts). */

const createBody = z.object({
  model: healthModelSchema.describe("A health model, as TENURE_CONFIG.health takes it (omitted fields take their defaults)."),
  note: z.string().max(500).optional().describe("Why this version exists."),
  parent: z.string().optional().describe("The version it derives from; default the active one."),
});
const previewBody = z.object({
  horizonDays: z.int().min(1).max(730).default(90).describe("Backtest horizon."),
  stepDays: z.int().min(1).max(90).default(7).describe("Days between backtest samples."),
  limit: z.int().min(1).max(500).default(100).describe("At most this many band moves are listed (biggest score change first)."),
  paged: z.boolean().default(false).describe("Run as a background job even when the deployment is small enough to answer at once."),
});

const str = { type: "string" };
const int = { type: "integer" };
const ms = { type: "integer", description: "ms since epoch" };
const band = { enum: ["green", "yellow", "red"] };
const perBand = (value: object) => ({ type: "object", properties: { green: value, yellow: value, red: value } });
const versionId = pathParam("id", "A model version id (`default` is the deployment default).");
const change = { type: "object", properties: { path: str, from: {}, to: {} }, description: "One changed setting, e.g. `weights.billing` from 30 to 22." };

const evaluation = {
  type: ["object", "null"],
  description: "For a calibrated version: how it was judged (out of sample).",
  properties: {
    auc: { type: "number", description: "The candidate's AUC on the snapshots after the cutoff." },
    aucInterval: { type: "array", items: { type: "number" }, description: "95% interval (Hanley–McNeil)." },
    baselineAuc: { type: ["number", "null"], description: "The model it was fitted from, on the same snapshots." },
    churnRateByBand: perBand({ type: ["number", "null"] }),
    samplesByBand: perBand(int),
    samples: int,
    churned: int,
    fitSamples: int,
    fitChurned: { type: "integer", description: "Churned customers among the fitted snapshots." },
    cutoff: { ...ms, description: "Snapshots at or after this are evaluated; the fit used only outcomes known before it." },
    censored: int,
    coefficients: { type: "object", additionalProperties: { type: "number" }, description: "Fitted log-odds of churn per point of each component (trend components included)." },
    fitAuc: { type: ["number", "null"], description: "The candidate's AUC on the snapshots it was fitted on; far above `auc` means it learnt noise or the later period differs." },
    lambda: { type: "number", description: "The ridge strength, chosen on a validation fold at the end of the fit period." },
    validationAuc: { type: ["number", "null"], description: "The candidate's AUC on that validation fold (null: too few churners in it, the default strength was used)." },
    regressionAuc: { type: ["number", "null"], description: "The regression itself (missing components at their mean), for comparison." },
    horizonDays: int,
    customers: int,
    rows: { type: "integer", description: "Snapshots built from the customers' timelines." },
    sampledRows: { type: "integer", description: "Snapshots the fit and evaluation used: a fixed-size sample, the same however the customers were paged." },
    overridesDropped: int,
    fittedFrom: str,
  },
};

const running = {
  type: "object",
  properties: { status: { enum: ["running"] }, runId: str, totalCustomers: int },
};

const summary = {
  type: "object",
  properties: { id: str, active: { type: "boolean" }, createdAt: ms, parent: { type: ["string", "null"] }, note: str, author: str },
};

const detail = {
  type: "object",
  properties: {
    id: str,
    active: { type: "boolean" },
    parent: { type: ["string", "null"] },
    note: str,
    author: { type: "string", description: "`admin` (the admin token) or the signed-in email." },
    createdAt: ms,
    model: jsonSchemaOf(healthModelSchema, "output"),
    changes: { type: "array", items: change, description: "Against the parent: weights and band thresholds first." },
    evaluation,
  },
};

const backtestResult = {
  type: "object",
  properties: {
    modelVersion: str,
    auc: { type: ["number", "null"] },
    churnRateByBand: perBand({ type: ["number", "null"] }),
    samplesByBand: perBand(int),
    samples: int,
    churned: int,
    censored: int,
  },
};

const scoreBand = { type: "object", properties: { score: int, band } };

const preview = {
  type: "object",
  properties: {
    previewId: { type: ["string", "null"], description: "The stored preview (null when answered at once)." },
    status: { enum: ["running", "done"] },
    versionId: str,
    activeVersionId: str,
    at: { ...ms, description: "The instant every customer is scored at." },
    totalCustomers: int,
    customers: { type: "integer", description: "Customers read so far." },
    scored: { type: "integer", description: "Customers scored (churned ones are left out)." },
    moved: { type: "integer", description: "Customers whose band would change." },
    byBand: { type: "object", additionalProperties: int, description: "Counts by `active->candidate` band." },
    moves: {
      type: "array",
      items: { type: "object", properties: { customerId: str, name: { type: ["string", "null"] }, active: scoreBand, candidate: scoreBand } },
    },
    movesListed: int,
    backtest: { type: "object", properties: { active: backtestResult, candidate: backtestResult } },
  },
};

export const modelVersionPaths = {
  "/api/model/versions": {
    get: {
      operationId: "listModelVersions",
      summary: "Model versions (the deployment default first) and the latest activations",
      tags: ["Model"],
      parameters: [{ name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 500, default: 100 } }],
      responses: {
        "200": json({
          type: "object",
          properties: {
            versions: { type: "array", items: summary },
            activations: {
              type: "array",
              description: "Newest first: each the moment the model changed.",
              items: { type: "object", properties: { versionId: str, previousId: str, at: ms, actor: str } },
            },
          },
        }),
        ...badRequest(),
        ...adminErrors,
      },
    },
    post: {
      operationId: "createModelVersion",
      summary: "Store a new, immutable model version (not active until activated)",
      tags: ["Model"],
      requestBody: jsonBody(createBody),
      responses: { "201": json(detail, "Created"), ...badRequest("`bad_request`: the model fails its schema (error.path)"), ...notFound("parent version"), ...adminErrors },
    },
  },
  "/api/model/versions/{id}": {
    get: {
      operationId: "getModelVersion",
      summary: "One model version, with what changed against its parent",
      tags: ["Model"],
      parameters: [versionId],
      responses: { "200": json(detail), ...notFound("model version"), ...adminErrors },
    },
  },
  "/api/model/versions/{id}/preview": {
    post: {
      operationId: "previewModelVersion",
      summary: "What activating a version would do now: band moves and its backtest beside the active one's; changes no score",
      description:
        `Up to ${MAX_REPLAY_CUSTOMERS} customers the answer comes at once (200, \`status: done\`). Beyond that (or with \`paged\`), the preview runs ` +
        "as a chain of bounded pages on the queue and answers 202 with `status: running`; poll GET on the same path for its running total.",
      tags: ["Model"],
      parameters: [versionId],
      requestBody: jsonBody(previewBody),
      responses: {
        "200": json(preview, "Done"),
        "202": json(preview, "Running in the background"),
        ...badRequest(),
        ...notFound("model version"),
        ...adminErrors,
      },
    },
    get: {
      operationId: "getModelVersionPreview",
      summary: "The latest preview of a version: its running total, or its result when done",
      tags: ["Model"],
      parameters: [versionId],
      responses: { "200": json(preview), ...notFound("model version or preview"), ...adminErrors },
    },
  },
  "/api/model/versions/{id}/activate": {
    post: {
      operationId: "activateModelVersion",
      summary: "Make a version the active one (roll back = activate an older id); current customers are re-scored through the queue",
      description: "A band change the new model causes raises no churn alert. The re-score runs as a paged job; scores name the version that made them.",
      tags: ["Model"],
      parameters: [versionId],
      responses: {
        "200": json({
          type: "object",
          properties: {
            active: str,
            previous: str,
            changed: { type: "boolean", description: "False when it already was active." },
            rescoreQueued: { type: "boolean" },
          },
        }),
        ...notFound("model version"),
        "409": error("`conflict`: another activation happened at the same time"),
        ...adminErrors,
      },
    },
  },
  "/api/model/calibrate": {
    post: {
      operationId: "calibrateHealthModel",
      summary: "Fit component weights to this deployment's churn history; the result is a candidate version with its evaluation",
      description:
        "Regularised logistic regression over the component scores (trend components included) of the event-time timeline, fitted on the earlier " +
        `snapshots and evaluated on the later ones. Up to ${MAX_REPLAY_CUSTOMERS} customers it answers at once (201); beyond, or with \`paged\`, ` +
        "it runs as a chain of pages on the queue (202 with a `runId`, polled with GET /api/model/calibrate/{runId}). Nothing is activated.",
      tags: ["Model"],
      requestBody: jsonBody(calibrateBody),
      responses: {
        "201": json(
          {
            type: "object",
            properties: {
              status: { enum: ["done"] },
              id: str,
              active: { type: "boolean" },
              parent: { type: ["string", "null"] },
              weights: { type: "object", additionalProperties: { type: "number" } },
              evaluation,
            },
          },
          "Created",
        ),
        "202": json(running, "Running in pages on the queue"),
        ...badRequest(),
        "422": error("`too_few_churn_events`: not enough churn to say; `needed` is how many more churn events it takes"),
        ...adminErrors,
      },
    },
  },
  "/api/model/calibrate/{runId}": {
    get: {
      operationId: "getHealthModelCalibration",
      summary: "A paged calibration: running, done (with its candidate version and evaluation) or refused (with how many churn events are needed)",
      tags: ["Model"],
      parameters: [pathParam("runId", "The `runId` POST /api/model/calibrate answered with.")],
      responses: {
        "200": json(
          {
            type: "object",
            properties: {
              runId: str,
              status: { enum: ["running", "done", "refused"] },
              horizonDays: int,
              startedAt: ms,
              updatedAt: ms,
              customersRead: int,
              rowsRead: int,
              id: { type: "string", description: "The candidate version (when done)." },
              parent: str,
              weights: { type: "object", additionalProperties: { type: "number" } },
              evaluation,
              refusal: { type: "object", description: "When refused: `reason`, `needed`, `fitChurned`, `evaluationChurned`, `samples`." },
            },
          },
          "The run",
        ),
        ...notFound("calibration"),
        ...adminErrors,
      },
    },
  },
};
