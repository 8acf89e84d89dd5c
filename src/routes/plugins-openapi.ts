import { adminErrors, badRequest, error, json } from "./openapi-parts";

/** OpenAPI paths of declared plugins (src/routes/plugins.ts, docs/plugins.md). */

const str = { type: "string" };
const problem = { type: "object", required: ["path", "message"], properties: { path: str, message: str } };
const declaration = { type: "object", description: "A source declaration: its format is the JSON Schema served at GET /api/plugins/schema (docs/plugins.md)." };

const loaded = {
  type: "object",
  properties: {
    file: str,
    name: { type: "string", description: "Served at POST /webhooks/{name}." },
    version: { type: "integer" },
    kind: { const: "source" },
    scheme: { enum: ["hmac", "token", "basic-auth"] },
    weak: { type: "boolean", description: "True for token and basic-auth schemes, which sign no bytes." },
    secret: str,
    status: { type: "string", description: "`enabled`, or `disabled: set <SECRET>`." },
  },
};

const destination = {
  type: "object",
  properties: {
    name: str,
    version: { type: "integer" },
    kind: { const: "destination" },
    events: { type: "array", items: { enum: ["score.changed", "band.changed", "stage.changed", "alert.raised", "reward.credited"] } },
    status: { type: "string", description: "`enabled`, or `disabled: set <SECRET>`." },
  },
};

const validateBody = {
  type: "object",
  required: ["definition", "sample"],
  properties: {
    definition: declaration,
    sample: {
      type: "object",
      required: ["body"],
      properties: {
        headers: { type: "object", additionalProperties: str, description: "The headers the vendor sends, signature included." },
        body: { type: "string", description: "A source: the raw body, exactly as the vendor sends it. A destination: `{ event, customerId, data }` as JSON." },
      },
    },
  },
};

export const pluginPaths = {
  "/api/plugins": {
    get: {
      operationId: "listPlugins",
      summary: "List the declared plugins, and the declarations refused at load",
      description: "Declarations live in the deployment's plugins/ folder, bundled at build time. A refused one is listed under `broken` with the path of its problem; every other source keeps serving.",
      tags: ["Webhooks"],
      responses: {
        "200": json({ type: "object", properties: { plugins: { type: "array", items: loaded }, destinations: { type: "array", items: destination }, broken: { type: "array", items: { type: "object", properties: { file: str, error: problem } } } } }),
        ...adminErrors,
      },
    },
  },
  "/api/plugins/schema": {
    get: {
      operationId: "getPluginSchema",
      summary: "The declaration format, as JSON Schema (draft 2020-12)",
      tags: ["Webhooks"],
      responses: { "200": json({ type: "object", description: "A JSON Schema document." }), ...adminErrors },
    },
  },
  "/api/plugins/validate": {
    post: {
      operationId: "validatePlugin",
      summary: "Dry-run a declaration on a sample delivery; stores nothing",
      description:
        "Validates the declaration. A source: checks the sample's signature with the secret the declaration names (read from the environment), parses and normalizes the body, " +
        "and returns the normalized events, taking each step the webhook route takes in the same order. A destination: returns the request it would send, secrets shown by name.",
      tags: ["Webhooks"],
      requestBody: { required: true, content: { "application/json": { schema: validateBody } } },
      responses: {
        "200": json(
          {
            type: "object",
            properties: {
              ok: { const: true },
              events: { type: "array", items: { type: "object" }, description: "A source: the normalized events." },
              deliveries: { type: "array", items: { type: "object" }, description: "A source: each delivery's dedupe key, type, time and why it was ignored." },
              request: { type: "object", description: "A destination: the planned request (method, url, headers with secrets named, body)." },
            },
          },
          "What the definition makes of the sample",
        ),
        "422": error("`invalid_plugin`, with `ok: false` beside `error`: error.path names the first problem, `definition.<path>`, `sample.headers` (the signature), `sample.body.<path>` or `event.<path>`"),
        ...badRequest("The body is not `{ definition, sample: { headers, body } }`"),
        ...adminErrors,
      },
    },
  },
};
