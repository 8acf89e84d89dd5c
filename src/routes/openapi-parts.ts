import { z } from "zod";

/** Builders the OpenAPI path files share: JSON Schema from zod, parameters, and the error responses every route can give. */

export type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a zod schema: what a client sends (`input`, defaults optional) or what Tenure answers (`output`). */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output" = "input"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

export const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
export const error = (description: string) => json(schemaRef("Error"), description);

/** A JSON body; required when the schema has required fields (the routes read a missing body as `{}`). */
export function jsonBody(schema: z.ZodType) {
  const s = jsonSchemaOf(schema);
  const required = Array.isArray(s.required) && s.required.length > 0;
  return { required, content: { "application/json": { schema: s } } };
}

export const pathParam = (name: string, description: string, schema: object = { type: "string" }) => ({ name, in: "path", required: true, description, schema });

/** One query parameter per property of a zod object, described by `descriptions` (keyed by property). */
export function queryParams(schema: z.ZodObject, descriptions: Record<string, string> = {}) {
  const s = jsonSchemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: "query",
    required: s.required?.includes(name) ?? false,
    ...(descriptions[name] ? { description: descriptions[name] } : {}),
    schema: prop,
  }));
}

/** The answer any route can give: an unexpected failure, logged with its requestId. */
export const serverErrors = { "500": responseRef("Internal") };

/** Answers every /api route can give before its handler runs (src/routes/auth.ts). */
export const adminErrors = { "401": responseRef("Unauthorized"), "429": responseRef("TooManyAttempts"), "503": responseRef("AdminDisabled"), ...serverErrors };

export const badRequest = (what = "The query or body fails its schema (error.path names the field)") => ({ "400": error(what) });
export const notFound = (what: string) => ({ "404": error(`No such ${what}`) });
