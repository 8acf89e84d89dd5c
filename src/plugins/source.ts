import { z } from "zod";
import { contentKey, ignored } from "../../webhooks/delivery";
import { type Delivery, defineSource, type NormalizeContext, type WebhookSource } from "../../webhooks/source";
import { normalizedEventSchema, type NormalizedEvent, type SourceName, type Subject } from "../core/events";
import type { SecretName } from "../env";
import type { EventMapping, SourceDeclaration, ValueSpec } from "./schema";
import { evaluate, eventTimeOf, holds, pathSteps, readJsonPath, specPath } from "./values";
import { declaredVerifier } from "./verify";
import { registerChallenge } from "./challenge";

/**
 * A declaration turned into a WebhookSource: the route, body cap, inbox, dedupe and contract suite then treat
 * it exactly like a built-in source. `name` has been checked against the source names by the loader.
 */

interface Envelope {
  type: string;
  id: string;
  occurredAt: number | undefined;
}

function envelopeOf(d: SourceDeclaration, payload: unknown, raw: string, mapped: (type: string) => boolean): Envelope | { path: (string | number)[]; message: string } {
  const type = readJsonPath(payload, d.eventType);
  if (typeof type !== "string" || type === "") return { path: pathSteps(d.eventType), message: "the event type must be a non-empty string" };
  const id = evaluate(payload, d.eventId);
  const occurredAt = eventTimeOf(payload, d.eventTime);
  if ((typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id))) return { type, id: String(id), occurredAt };
  // A type Tenure does not use may carry no id (a handshake, a ping): identical bytes are one delivery.
  if (!mapped(type)) return { type, id: `${type}:${contentKey(raw)}`, occurredAt };
  return { path: specPath(d.eventId), message: "the event id must be a non-empty string or a number" };
}

function subjectOf(specs: Partial<Record<string, ValueSpec>>, payload: unknown): Subject {
  const out: Record<string, string> = {};
  for (const [k, spec] of Object.entries(specs)) {
    const v = spec === undefined ? undefined : evaluate(payload, spec);
    if (typeof v === "string" && v.trim() !== "") out[k] = v.trim();
    else if (typeof v === "number") out[k] = String(v);
  }
  return out;
}

function buildEvent(d: SourceDeclaration, m: EventMapping, env: Envelope, occurredAt: number, payload: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(m.fields)) {
    const v = evaluate(payload, spec);
    if (v !== undefined) fields[k] = v;
  }
  return {
    ...fields,
    id: `${d.name}:${env.id}`,
    source: d.name,
    occurredAt,
    subject: subjectOf({ ...d.subject, ...m.subject }, payload),
    type: m.emit,
  };
}

/** The first ignore rule of the mapping whose every condition holds for this payload. */
const ignoredBy = (m: EventMapping, payload: unknown) => m.ignoreWhen.find((r) => r.if.every((c) => holds(payload, c)));

/** Where a refused event field came from: the vendor path it was read from, or the mapping itself. */
function vendorPath(m: EventMapping, index: number, eventPath: readonly PropertyKey[]): (string | number)[] {
  const field = String(eventPath[0] ?? "");
  const spec = Object.hasOwn(m.fields, field) ? m.fields[field] : undefined;
  if (typeof spec === "string") return pathSteps(spec);
  if (spec && typeof spec === "object" && "path" in spec) return pathSteps(spec.path);
  return [`(map.${index}.fields)`, ...eventPath.map((p) => (typeof p === "number" ? p : String(p)))];
}

export function declaredSource(d: SourceDeclaration): WebhookSource<unknown> {
  const byType = new Map<string, { m: EventMapping; index: number }>();
  d.map.forEach((m, index) => m.on.forEach((t) => byType.set(t, { m, index })));
  const mapped = (type: string) => byType.has(type) && !d.ignore.includes(type);

  /** The vendor's schema, read from the declaration: the envelope, then every mapped field against Tenure's event schema. */
  const schema = z.unknown().superRefine((payload, ctx) => {
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      ctx.addIssue({ code: "custom", path: [], message: "the body must be a JSON object" });
      return;
    }
    // The schema sees no raw bytes: a canonical serialisation stands in for the content key it does not keep.
    const env = envelopeOf(d, payload, JSON.stringify(payload), mapped);
    if ("path" in env) return void ctx.addIssue({ code: "custom", path: env.path, message: env.message });
    const hit = byType.get(env.type);
    if (!hit || d.ignore.includes(env.type)) return;
    if (env.occurredAt === undefined) {
      const first = "first" in d.eventTime ? d.eventTime.first[0]! : d.eventTime;
      return void ctx.addIssue({ code: "custom", path: pathSteps(first.path), message: `the event time must be ${first.as === "iso-ms" ? "an ISO-8601 date" : "a number"}` });
    }
    if (ignoredBy(hit.m, payload)) return;
    const r = normalizedEventSchema.safeParse(buildEvent(d, hit.m, env, env.occurredAt, payload));
    const issue = r.error?.issues[0];
    if (issue) ctx.addIssue({ code: "custom", path: vendorPath(hit.m, hit.index, issue.path), message: `${issue.message} (${hit.m.emit} field ${issue.path.map(String).join(".")})` });
  });

  function normalize(payload: unknown, raw: string, ctx: NormalizeContext): Delivery[] {
    const env = envelopeOf(d, payload, raw, mapped);
    if ("path" in env) throw new Error(`normalize called on a ${d.name} payload its schema refuses`);
    const occurredAt = env.occurredAt ?? ctx.now;
    const base = { dedupeKey: env.id, vendorType: env.type, occurredAt, raw };
    if (d.ignore.includes(env.type)) return [ignored(base, `${env.type} is declared as ignored`)];
    const hit = byType.get(env.type);
    if (!hit) return [ignored(base, `Tenure does not use ${env.type}`)];
    const rule = ignoredBy(hit.m, payload);
    if (rule) return [ignored(base, rule.reason)];
    const event: NormalizedEvent = normalizedEventSchema.parse(buildEvent(d, hit.m, env, occurredAt, payload));
    return [{ ...base, events: [event] }];
  }

  const source = defineSource<unknown>({
    name: d.name as SourceName,
    secret: d.secret as SecretName,
    schema,
    verify: declaredVerifier(d.signature, d.secret),
    normalize,
  });
  registerChallenge(source, d.challenge);
  return source;
}
