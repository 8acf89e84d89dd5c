import type { DestinationDeclaration } from "./destination-schema";

/** The HTTP request a declared destination makes for one event. Pure: the caller supplies secrets and base. */

export interface RenderInput {
  id: string;
  customerId: string | null;
  event: string;
  at: number;
  data: Record<string, unknown>;
  secrets: Record<string, string>;
  base: string;
}

export interface PlannedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

const WHOLE = /^\{\{\s*([A-Za-z0-9_.]+)\s*\}\}$/;
const PART = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

function lookup(scope: Record<string, unknown>, path: string): unknown {
  let cur: unknown = scope;
  for (const step of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, step)) return undefined;
    cur = (cur as Record<string, unknown>)[step];
  }
  return cur ?? undefined;
}

const text = (v: unknown) => (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

/** Fills a JSON template: an exact `{{path}}` keeps the value's type, and a key whose value is absent is dropped. */
export function fillTemplate(t: unknown, scope: Record<string, unknown>): unknown {
  if (typeof t === "string") {
    const whole = WHOLE.exec(t);
    if (whole) return lookup(scope, whole[1]!);
    return t.replace(PART, (_, p: string) => text(lookup(scope, p)));
  }
  if (Array.isArray(t)) return t.map((x) => fillTemplate(x, scope)).filter((x) => x !== undefined);
  if (t !== null && typeof t === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t)) {
      const filled = fillTemplate(v, scope);
      if (filled !== undefined && !(typeof filled === "object" && filled !== null && !Array.isArray(filled) && Object.keys(filled).length === 0)) out[k] = filled;
    }
    return out;
  }
  return t;
}

export function buildDeclaredRequest(d: DestinationDeclaration, input: RenderInput): PlannedRequest {
  const scope = { customerId: input.customerId, event: input.event, at: input.at, data: input.data, secret: input.secrets, base: input.base };
  const path = d.request.path.replace(PART, (_, p: string) => encodeURIComponent(text(lookup(scope, p))));
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [k, v] of Object.entries(d.request.headers)) headers[k] = text(fillTemplate(v, scope));
  if (d.idempotencyHeader) headers[d.idempotencyHeader] = input.id;
  return { method: d.request.method, url: `${input.base.replace(/\/+$/, "")}${path}`, headers, body: fillTemplate(d.request.body, scope) };
}

export interface BatchItemInput {
  id: string;
  customerId: string | null;
  event: string;
  at: number;
  data: Record<string, unknown>;
}

/**
 * One request for several actions (a declaration with `batch`): each action fills `batch.item`, and the body's
 * `{{items}}` is their array (`{{count}}` their number). `batchKey` is the idempotency header's value.
 */
export function buildDeclaredBatchRequest(d: DestinationDeclaration, input: { batchKey: string; items: BatchItemInput[]; secrets: Record<string, string>; base: string }): PlannedRequest {
  const item = d.batch?.item ?? null;
  const items = input.items.map((i) => fillTemplate(item, { id: i.id, customerId: i.customerId, event: i.event, at: i.at, data: i.data }));
  const scope = { items, count: items.length, secret: input.secrets, base: input.base };
  const path = d.request.path.replace(PART, (_, p: string) => encodeURIComponent(text(lookup(scope, p))));
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [k, v] of Object.entries(d.request.headers)) headers[k] = text(fillTemplate(v, scope));
  if (d.idempotencyHeader) headers[d.idempotencyHeader] = input.batchKey;
  return { method: d.request.method, url: `${input.base.replace(/\/+$/, "")}${path}`, headers, body: fillTemplate(d.request.body, scope) };
}
