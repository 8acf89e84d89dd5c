import { z } from "zod";
import { SignatureError } from "../../webhooks/signature";
import type { Delivery } from "../../webhooks/source";
import { outboundEventTypeSchema } from "../core/actions";
import type { NormalizedEvent } from "../core/events";
import { timeProblems } from "../core/time";
import { buildDeclaredBatchRequest, buildDeclaredRequest, type PlannedRequest } from "./destination-request";
import { destinationDeclarationSchema } from "./destination-schema";
import { checkName } from "./load";
import { type DeclarationProblem, parseSourceDeclaration, pathOf } from "./schema";
import { declaredSource } from "./source";

/**
 * POST /api/plugins/validate: a declaration and a sample delivery in, the normalized events out, nothing stored.
 * Each step the webhook route takes is taken here, in the same order, so a sample that passes here is accepted there.
 */

export interface DryRunInput {
  definition: unknown;
  sample: { headers: Record<string, string>; body: string };
  /** The value of the secret the definition names, from the environment. */
  secretOf: (name: string) => string | undefined;
  publicUrl: string;
  now: number;
  maxFutureMs: number;
}

export type DryRunResult =
  | { ok: true; events: NormalizedEvent[]; deliveries: Pick<Delivery, "dedupeKey" | "vendorType" | "occurredAt" | "ignoredReason">[] }
  | { ok: false; error: DeclarationProblem };

const fail = (path: string, message: string): DryRunResult => ({ ok: false, error: { path, message } });

export async function dryRunSource(input: DryRunInput): Promise<DryRunResult> {
  const parsed = parseSourceDeclaration(input.definition);
  if (!parsed.ok) return fail(`definition.${parsed.error.path}`, parsed.error.message);
  const d = parsed.declaration;
  // Iterating on a bundled declaration is allowed: only the name's validity is checked, not whether it is taken.
  const nameProblem = checkName(d, new Set());
  if (nameProblem) return fail(`definition.${nameProblem.path}`, nameProblem.message);
  const secret = input.secretOf(d.secret);
  if (!secret) return fail("definition.secret", `${d.secret} is not set in this deployment's environment: the sample's signature cannot be checked`);

  const source = declaredSource(d);
  const raw = input.sample.body;
  try {
    await source.verify({ rawBody: raw, headers: new Headers(input.sample.headers), method: "POST", url: `${input.publicUrl}/webhooks/${d.name}`, now: input.now, secret });
  } catch (err) {
    if (err instanceof SignatureError) return fail("sample.headers", `${err.reason}: ${err.message}`);
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return fail("sample.body", "the body is not valid JSON");
  }
  const r = source.schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return fail(`sample.body.${pathOf(issue.path)}`, issue.message);
  }
  const deliveries = source.normalize(r.data, raw, { now: input.now });
  const events = deliveries.flatMap((x) => x.events);
  for (const ev of events) {
    const [problem] = timeProblems(ev, input.now, input.maxFutureMs);
    if (problem) return fail(`event.${problem.path}`, problem.message);
  }
  return { ok: true, events, deliveries: deliveries.map(({ dedupeKey, vendorType, occurredAt, ignoredReason }) => ({ dedupeKey, vendorType, occurredAt, ...(ignoredReason ? { ignoredReason } : {}) })) };
}

const destinationSampleSchema = z.object({
  event: outboundEventTypeSchema,
  customerId: z.string().min(1),
  at: z.number().int().nonnegative().optional(),
  data: z.record(z.string(), z.json()).default({}),
});

/**
 * The dry run of a destination: the request it would send for a sample event (`sample.body` is
 * `{ event, customerId, data }`), with each secret shown by name, never by value.
 */
export function dryRunDestination(definition: unknown, sampleBody: string, now: number): { ok: true; request: PlannedRequest } | { ok: false; error: DeclarationProblem } {
  const d = destinationDeclarationSchema.safeParse(definition);
  if (!d.success) return { ok: false, error: { path: `definition.${pathOf(d.error.issues[0]!.path)}`, message: d.error.issues[0]!.message } };
  let json: unknown;
  try {
    json = JSON.parse(sampleBody);
  } catch {
    return { ok: false, error: { path: "sample.body", message: "the body is not valid JSON" } };
  }
  const s = destinationSampleSchema.safeParse(json);
  if (!s.success) return { ok: false, error: { path: `sample.body.${pathOf(s.error.issues[0]!.path)}`, message: s.error.issues[0]!.message } };
  if (!d.data.events.includes(s.data.event)) return { ok: false, error: { path: "sample.body.event", message: `${d.data.name} does not take ${s.data.event}` } };
  const secrets = Object.fromEntries(Object.entries(d.data.secrets).map(([k, name]) => [k, `<${name}>`]));
  const item = { id: `declared:${d.data.name}:dry-run`, customerId: s.data.customerId, event: s.data.event, at: s.data.at ?? now, data: s.data.data };
  const base = d.data.baseUrl.default;
  // A batching destination's request, as it would carry this one event.
  const request = d.data.batch
    ? buildDeclaredBatchRequest(d.data, { batchKey: `batch:${d.data.name}:dry-run`, items: [item], secrets, base })
    : buildDeclaredRequest(d.data, { ...item, secrets, base });
  return { ok: true, request };
}
