import { adminErrors, badRequest, error, json, jsonBody, notFound, pathParam } from "./openapi-parts";
import { storeBodySchema } from "./plugins-stored";

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

const int = { type: "integer" };
const ms = { type: "integer", description: "ms since epoch" };
const versionSummary = { type: "object", properties: { version: int, createdAt: ms, author: str } };
const stored = {
  type: "object",
  properties: {
    name: str,
    kind: { const: "source" },
    activeVersion: { type: ["integer", "null"], description: "The version served at POST /webhooks/{name}; null when none is." },
    versions: { type: "array", items: versionSummary, description: "Newest first." },
    status: { type: "string", description: "`enabled`, `disabled: set <SECRET>`, `inactive`, or `broken: <path>` when the active version no longer parses." },
    scheme: { enum: ["hmac", "token", "basic-auth"] },
    weak: { type: "boolean" },
    secret: str,
    error: problem,
  },
};
const storedAnswer = { type: "object", properties: { name: str, version: int, id: { type: "string", description: "`name@version`" }, active: { type: "boolean" }, author: str, createdAt: ms } };
const nameParam = pathParam("name", "A stored source's name.", { type: "string", pattern: "^[a-z][a-z0-9-]{1,39}$" });
const actorBody = { required: false, content: { "application/json": { schema: { type: "object", properties: { actor: { type: "string", description: "Who acts, recorded with the admin token." } } } } } };
const invalidPlugin = error("`invalid_plugin`, with `ok: false` beside `error`: error.path names the first problem, `definition.<path>`");

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
        "200": json({
          type: "object",
          properties: {
            plugins: { type: "array", items: loaded },
            destinations: { type: "array", items: destination },
            stored: { type: "array", items: stored, description: "Sources stored through POST /api/plugins." },
            broken: { type: "array", items: { type: "object", properties: { file: { type: "string", description: "A plugins/ file, or `stored:<name>@<version>`." }, error: problem } } },
          },
        }),
        ...adminErrors,
      },
    },
    post: {
      operationId: "storePlugin",
      summary: "Store a source declaration as a new version (and activate it)",
      description:
        "Checked like a bundled declaration, then stored as an immutable version (`name@version`) and, unless `activate` is false, served at POST /webhooks/{name} at once. " +
        "Storing the same definition under the same version again answers 200. A name a built-in source or a bundled plugins/ file takes is refused with 409. Destinations are bundled files only.",
      tags: ["Webhooks"],
      requestBody: jsonBody(storeBodySchema),
      responses: {
        "201": json(storedAnswer, "Stored"),
        "200": json(storedAnswer, "This exact version was already stored"),
        "409": error("`plugin_name_taken` (a built-in or bundled name) or `plugin_version_exists` (that version holds another definition: bump `version`)"),
        "422": invalidPlugin,
        ...badRequest("The body is not `{ definition, activate?, actor? }`"),
        ...adminErrors,
      },
    },
  },
  "/api/plugins/{name}/versions": {
    get: {
      operationId: "listPluginVersions",
      summary: "A stored source's versions (with their definitions) and activations",
      tags: ["Webhooks"],
      parameters: [nameParam],
      responses: {
        "200": json({
          type: "object",
          properties: {
            name: str,
            activeVersion: { type: ["integer", "null"] },
            versions: { type: "array", items: { type: "object", properties: { version: int, id: str, active: { type: "boolean" }, author: str, createdAt: ms, definition: declaration } } },
            activations: { type: "array", items: { type: "object", properties: { versionId: { type: ["string", "null"] }, previousId: { type: ["string", "null"] }, at: ms, actor: str } } },
          },
        }),
        ...notFound("stored plugin"),
        ...adminErrors,
      },
    },
  },
  "/api/plugins/{name}/versions/{version}/activate": {
    post: {
      operationId: "activatePluginVersion",
      summary: "Serve this version of a stored source (activating an older one is the rollback)",
      tags: ["Webhooks"],
      parameters: [nameParam, pathParam("version", "The version number.", { type: "integer", minimum: 1 })],
      requestBody: actorBody,
      responses: {
        "200": json({ type: "object", properties: { name: str, activeVersion: int, previousVersion: { type: ["integer", "null"] } } }),
        ...notFound("stored plugin version"),
        ...badRequest(),
        ...adminErrors,
      },
    },
  },
  "/api/plugins/{name}/deactivate": {
    post: {
      operationId: "deactivatePlugin",
      summary: "Stop serving a stored source (its endpoint answers 404); its versions are kept",
      tags: ["Webhooks"],
      parameters: [nameParam],
      requestBody: actorBody,
      responses: {
        "200": json({ type: "object", properties: { name: str, activeVersion: { const: null } } }),
        ...notFound("stored plugin"),
        ...badRequest(),
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
