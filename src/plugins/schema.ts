import { z } from "zod";
import { declaredSourceNameSchema } from "../core/events";
import { destinationDeclarationSchema } from "./destination-schema";

/**
 * The declaration format of a source plugin (plugins/*.json, docs/plugins.md). Every refusal names the path of
 * the field at fault; the same schema is published as JSON Schema at GET /api/plugins/schema.
 */

/** `$.a.b[0]["x-y"]`: a JSON path from the payload's root (a subset: member and index steps). */
export const jsonPathSchema = z
  .string()
  .regex(/^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["[^"]+"\])*$/, 'must be a JSON path such as "$.data.id" or "$.items[0][\\"x-id\\"]"')
  .describe("A JSON path from the payload's root: member (.name, [\"name\"]) and index ([0]) steps.");

/** How a raw value becomes Tenure's: ISO dates and epoch seconds to ms, decimal strings to integers, emails to domains. */
export const conversionSchema = z.enum(["string", "trim", "int", "number", "bool", "lower", "iso-ms", "seconds-ms", "ms", "email", "email-domain", "domain"]);
export type Conversion = z.infer<typeof conversionSchema>;

const pathValue = z.strictObject({
  path: jsonPathSchema,
  as: conversionSchema.optional().describe("Conversion applied to the value found."),
  map: z.record(z.string(), z.json()).optional().describe("Vendor value -> Tenure value (after `as`); a value absent from the map gives `default`."),
  default: z.json().optional().describe("Used when the path is absent or not in `map`."),
});
const constValue = z.strictObject({ const: z.json() });
const sumValue = z.strictObject({
  sum: jsonPathSchema.describe("An array in the payload."),
  of: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/).describe('A dotted path inside each item, e.g. "price.unit_price.amount" (decimal strings are read as numbers).'),
  times: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/).optional().describe('Multiplied by this path inside each item, e.g. "quantity".'),
  perMonth: z
    .strictObject({ interval: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/), frequency: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/).optional() })
    .optional()
    .describe("Normalise each item to a monthly amount by its billing interval (day, week, month, year) and frequency, both paths inside the item."),
});

/**
 * One field's value: a JSON path (shorthand string), a path with a conversion and value map, a constant, a sum over
 * an array, the first of several that has a value, or several joined into one string (a composite id).
 */
export type ValueSpec = string | z.infer<typeof pathValue> | z.infer<typeof constValue> | z.infer<typeof sumValue> | { first: ValueSpec[] } | { join: ValueSpec[]; with?: string };
export const valueSpecSchema: z.ZodType<ValueSpec> = z.lazy(() =>
  z.union([
    jsonPathSchema,
    pathValue,
    constValue,
    sumValue,
    z.strictObject({ first: z.array(valueSpecSchema).min(1).describe("The first of these that has a value.") }),
    z.strictObject({
      join: z.array(valueSpecSchema).min(2).describe("Every part must have a string or number value; absent when one has none."),
      with: z.string().max(5).optional().describe('The separator, default ":".'),
    }),
  ]),
);

/** A test on one value: `in` / `notIn` a list (an absent value is in no list), or a number `outside` [min, max]. */
export const conditionSchema = z
  .strictObject({
    value: valueSpecSchema,
    in: z.array(z.json()).min(1).optional(),
    notIn: z.array(z.json()).min(1).optional(),
    outside: z.tuple([z.number(), z.number()]).optional().describe("[min, max]: true when the value is a number below min or above max."),
  })
  .refine((c) => [c.in, c.notIn, c.outside].filter((x) => x !== undefined).length === 1, { message: "a condition has exactly one of in, notIn, outside" });
export type Condition = z.infer<typeof conditionSchema>;

export const ignoreRuleSchema = z.strictObject({
  if: z.array(conditionSchema).min(1).describe("All of these hold."),
  reason: z.string().min(1).max(200).describe("Recorded as the delivery's ignored reason."),
});

export const subjectKeys = ["email", "domain", "accountId", "userId", "name", "stripeCustomerId", "hubspotCompanyId", "hubspotContactId", "segmentGroupId"] as const;
export const subjectMappingSchema = z
  .partialRecord(z.enum(subjectKeys), valueSpecSchema)
  .describe("Identity hints: which fields say whose fact this is (email, domain, account id, ...).");

/** The normalized event types a declaration may emit (src/core/events.ts). */
export const emittableTypes = [
  "ticket.changed",
  "usage.tracked",
  "survey.responded",
  "subscription.changed",
  "invoice.paid",
  "payment.failed",
  "customer.profile",
  "company.changed",
  "contact.changed",
  "loyalty.activity",
] as const;

export const eventMappingSchema = z.strictObject({
  on: z.array(z.string().min(1)).min(1).describe("Vendor event types this mapping handles."),
  emit: z.enum(emittableTypes).describe("The normalized event it becomes."),
  fields: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), valueSpecSchema).default({}).describe("Field of the normalized event -> its value."),
  subject: subjectMappingSchema.optional().describe("Overrides the source-level subject for this mapping."),
  ignoreWhen: z
    .array(ignoreRuleSchema)
    .default([])
    .describe("A delivery of a mapped type that meets every condition of one rule is recorded as ignored (answered 2xx, no facts), e.g. a survey type Tenure does not read."),
});
export type EventMapping = z.infer<typeof eventMappingSchema>;

const secretNameSchema = z.string().regex(/^[A-Z][A-Z0-9_]*_(SECRET|TOKEN|KEY)$/, "must be an environment secret name ending in _SECRET, _TOKEN or _KEY");

export const signedPayloads = ["{body}", "{timestamp}.{body}", "{timestamp}:{body}", "{url}{body}"] as const;

const hmacScheme = z
  .strictObject({
    scheme: z.literal("hmac"),
    algorithm: z.enum(["sha256", "sha1", "sha512"]),
    encoding: z.enum(["hex", "base64"]),
    signedPayload: z.enum(signedPayloads).describe("What is signed: the raw body, prefixed by the timestamp or the URL."),
    header: z.string().min(1).describe("The header carrying the signature."),
    format: z
      .enum(["plain", "t=,v1=", "ts=;h1="])
      .describe("plain: the header is the signature; `t=…,v1=…` (comma-separated) and `ts=…;h1=…` (semicolon-separated) carry the timestamp and one or more signatures."),
    prefix: z.string().optional().describe('A prefix before a plain signature, e.g. "sha256=".'),
    timestampHeader: z.string().min(1).optional().describe("The header carrying the timestamp, for a plain format whose signed payload has {timestamp}."),
    timestampUnit: z.enum(["s", "ms"]).default("s"),
    toleranceSeconds: z.int().min(1).max(3600).default(300).describe("Timestamps further than this from now are refused (replay protection)."),
  })
  .superRefine((s, ctx) => {
    const needsTs = s.signedPayload.includes("{timestamp}");
    if (needsTs && s.format === "plain" && !s.timestampHeader) {
      ctx.addIssue({ code: "custom", path: ["timestampHeader"], message: `a plain signature over "${s.signedPayload}" needs the header that carries the timestamp` });
    }
    if (s.prefix !== undefined && s.format !== "plain") ctx.addIssue({ code: "custom", path: ["prefix"], message: "a prefix applies to the plain format only" });
  });

const tokenScheme = z.strictObject({
  scheme: z.literal("token"),
  header: z.string().min(1).describe("The header that carries the shared token (compared in constant time). Signs nothing: listed as weaker in /health."),
});
const basicScheme = z.strictObject({
  scheme: z.literal("basic-auth"),
  username: z.string().min(1).optional().describe("When set, the user name must match too. The password is the secret. Signs nothing: weaker."),
});

export const signatureSchemeSchema = z.discriminatedUnion("scheme", [hmacScheme, tokenScheme, basicScheme]);
export type SignatureScheme = z.infer<typeof signatureSchemeSchema>;

const timeAt = z.strictObject({ path: jsonPathSchema, as: z.enum(["iso-ms", "seconds-ms", "ms"]) });
export const eventTimeSchema = z.union([timeAt, z.strictObject({ first: z.array(timeAt).min(1).describe("The first of these that has a time (an updated time, else the created time).") })]);
export type EventTime = z.infer<typeof eventTimeSchema>;

/** A validation handshake: a signed request carrying this header is answered with its value (Front's X-Front-Challenge). */
export const challengeSchema = z
  .strictObject({
    header: z.string().regex(/^[A-Za-z0-9-]+$/).describe("The header whose value is echoed."),
    respond: z.enum(["json", "text"]).default("json").describe('json: `"challenge": <value>` in the JSON answer; text: the value alone, as text/plain.'),
  })
  .describe("Echo a challenge header once the request's signature is verified, so the vendor accepts the webhook URL.");
export type ChallengeSpec = z.infer<typeof challengeSchema>;

export const sourceDeclarationSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal("source"),
  name: declaredSourceNameSchema.describe("Served at POST /webhooks/{name}; any such name no built-in source takes."),
  version: z.int().min(1).describe("Bumped on every change."),
  title: z.string().max(100).optional(),
  docs: z.url().optional().describe("The vendor's webhook documentation."),
  secret: secretNameSchema.describe("The environment secret that verifies deliveries; the source is disabled until it is set."),
  signature: signatureSchemeSchema,
  eventType: jsonPathSchema.describe("Where the vendor's event type is."),
  eventId: valueSpecSchema.describe("Where the vendor's unique event id is: the dedupe key. A JSON path, or a value such as a join of a response id and its update time."),
  eventTime: eventTimeSchema.describe("Where the event time is, and its format."),
  subject: subjectMappingSchema.default({}),
  map: z.array(eventMappingSchema).default([]),
  ignore: z.array(z.string().min(1)).default([]).describe("Vendor event types recorded as ignored (answered 2xx, no facts)."),
  challenge: challengeSchema.optional(),
});
export type SourceDeclaration = z.infer<typeof sourceDeclarationSchema>;

/** A declaration's first problem, as the validate endpoint and the loader report it. */
export interface DeclarationProblem {
  path: string;
  message: string;
}

export function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}

export function parseSourceDeclaration(input: unknown): { ok: true; declaration: SourceDeclaration } | { ok: false; error: DeclarationProblem } {
  const r = sourceDeclarationSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, error: { path: pathOf(issue.path), message: issue.message } };
  }
  const types = new Map<string, string>();
  for (const [i, m] of r.data.map.entries()) {
    for (const [j, t] of m.on.entries()) {
      if (types.has(t)) return { ok: false, error: { path: `map.${i}.on.${j}`, message: `${t} is already mapped at ${types.get(t)}` } };
      if (r.data.ignore.includes(t)) return { ok: false, error: { path: `map.${i}.on.${j}`, message: `${t} is both mapped and ignored` } };
      types.set(t, `map.${i}`);
    }
  }
  return { ok: true, declaration: r.data };
}

/** The declaration format, sources and destinations, as JSON Schema (draft 2020-12). */
export function declarationJsonSchema(): Record<string, unknown> {
  const either = z.discriminatedUnion("kind", [sourceDeclarationSchema, destinationDeclarationSchema]);
  return z.toJSONSchema(either, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
