import { z } from "zod";
import { outboundEventTypeSchema } from "../core/actions";

/**
 * The declaration of an outbound destination: which of Tenure's events it takes, and the HTTP request each one
 * becomes. Delivered by the outbox like every connector (lease, gate, backoff, dead letters, replay).
 * Templates: a string that is exactly `{{path}}` takes the value's type; inside a longer string it is text.
 * Paths: `customerId`, `event`, `at`, `data.<field>`, `secret.<name>`, `base`. A key whose value is absent is left out.
 */

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/);

/** Several actions in one request: the body template's `{{items}}` is the array of `item` templates, one per action. */
export const batchSchema = z.strictObject({
  maxItems: z.int().min(2).max(100).describe("At most this many actions in one request."),
  windowMs: z.int().min(0).max(60_000).default(0).describe("A new action waits this long for others to join its request."),
  item: z.json().describe("Template of one item. Paths: id (the action's outbox id, for per-item dedupe), customerId, event, at, data.<field>."),
});

export const destinationDeclarationSchema = z
  .strictObject({
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
    idempotencyHeader: z.string().regex(/^[A-Za-z0-9-]+$/).optional().describe("Sent with the outbox id, the same on every retry (a batch: a key derived from its actions)."),
    batch: batchSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.batch) return;
    // A batch request is one request for several accounts: only the body's items may name an account or an event.
    const perItem = /\{\{\s*(customerId|event|at|data\.[A-Za-z0-9_.]+)\s*\}\}/;
    if (perItem.test(d.request.path)) ctx.addIssue({ code: "custom", path: ["request", "path"], message: "a batched request's path may use secret.* and base only" });
    for (const [k, v] of Object.entries(d.request.headers)) {
      if (perItem.test(v)) ctx.addIssue({ code: "custom", path: ["request", "headers", k], message: "a batched request's headers may use secret.* and base only" });
    }
    if (!/\{\{\s*items\s*\}\}/.test(JSON.stringify(d.request.body))) ctx.addIssue({ code: "custom", path: ["request", "body"], message: 'a batched body must place "{{items}}"' });
  });
export type DestinationDeclaration = z.infer<typeof destinationDeclarationSchema>;
