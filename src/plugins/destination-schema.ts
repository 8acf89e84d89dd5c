import { z } from "zod";
import { outboundEventTypeSchema } from "../core/actions";

/**
 * The declaration of an outbound destination: which of Tenure's events it takes, and the HTTP request each one
 * becomes. Delivered by the outbox like every connector (lease, gate, backoff, dead letters, replay).
 * Templates: a string that is exactly `{{path}}` takes the value's type; inside a longer string it is text.
 * Paths: `customerId`, `event`, `at`, `data.<field>`, `secret.<name>`, `base`. A key whose value is absent is left out.
 */

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/);

export const destinationDeclarationSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal("destination"),
  name: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  version: z.int().min(1),
  title: z.string().max(100).optional(),
  docs: z.url().optional(),
  events: z.array(outboundEventTypeSchema).min(1).describe("Tenure's events this destination takes."),
  secrets: z.record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/), envName.regex(/_(SECRET|TOKEN|KEY)$/)).describe("Template name -> environment secret; the destination is disabled until every one is set."),
  baseUrl: z.strictObject({ env: envName.optional(), default: z.url() }).describe("The API base: an environment variable (tests, a proxy), else the default."),
  request: z.strictObject({
    method: z.enum(["POST", "PUT", "PATCH"]),
    path: z.string().startsWith("/").describe("Appended to the base; templates are URL-encoded."),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
    body: z.json().describe("A JSON template."),
  }),
  rateLimit: z.string().regex(/^\d+\/\d+(ms|s|m)$/).default("10/1s").describe('Deployment-wide, e.g. "1000/1m".'),
  retryOn: z.array(z.int().min(400).max(599)).default([408, 409, 429, 500, 502, 503, 504]).describe("Statuses worth retrying (Retry-After is honoured); any other non-2xx is permanent."),
  coalesce: z
    .boolean()
    .default(false)
    .describe("The destination holds state (attributes): one pending request per account, replaced by each newer value, so a late retry never overwrites a newer one. Its data is the account's current score, band and stage."),
  idempotencyHeader: z.string().regex(/^[A-Za-z0-9-]+$/).optional().describe("Sent with the outbox id, the same on every retry."),
});
export type DestinationDeclaration = z.infer<typeof destinationDeclarationSchema>;
