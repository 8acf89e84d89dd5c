import { emailDomain, normalizeDomain } from "../../webhooks/source";
import type { Condition, Conversion, EventTime, ValueSpec } from "./schema";

/** Reading declared values out of a vendor payload. Pure: no clock, no I/O. */

/** The steps of a JSON path (`$.a["b-c"][0]` -> ["a", "b-c", 0]). The schema has checked its shape. */
export function pathSteps(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["([^"]+)"\]/g;
  for (const m of path.slice(1).matchAll(re)) steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  return steps;
}

export function readPath(root: unknown, steps: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const step of steps) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (typeof step === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (Array.isArray(cur) || !Object.hasOwn(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

export const readJsonPath = (root: unknown, path: string): unknown => readPath(root, pathSteps(path));
const readDotted = (root: unknown, dotted: string): unknown => readPath(root, dotted.split("."));

/** A number from a number or a decimal string (Paddle sends amounts as strings of minor units). */
function numeric(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** Applies a conversion; a value that cannot convert is undefined (the field is then absent, and a required one is refused by the event schema). */
export function convert(v: unknown, as: Conversion): unknown {
  if (v === undefined || v === null) return undefined;
  switch (as) {
    case "string":
      return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
    case "trim":
      return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
    case "int": {
      const n = numeric(v);
      return n === undefined ? undefined : Math.round(n);
    }
    case "number":
      return numeric(v);
    case "bool":
      return typeof v === "boolean" ? v : v === "true" ? true : v === "false" ? false : undefined;
    case "lower":
      return typeof v === "string" ? v.trim().toLowerCase() : undefined;
    case "iso-ms": {
      if (typeof v !== "string") return undefined;
      const t = Date.parse(v);
      return Number.isFinite(t) ? t : undefined;
    }
    case "seconds-ms": {
      const n = numeric(v);
      return n === undefined ? undefined : Math.round(n * 1000);
    }
    case "ms": {
      const n = numeric(v);
      return n === undefined ? undefined : Math.round(n);
    }
    case "email":
      return typeof v === "string" && v.includes("@") ? v.trim().toLowerCase() : undefined;
    case "email-domain":
      return typeof v === "string" ? emailDomain(v) : undefined;
    case "domain":
      return typeof v === "string" ? normalizeDomain(v) : undefined;
  }
}

const MONTHS_PER: Record<string, number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

function sumOf(root: unknown, spec: { sum: string; of: string; times?: string; perMonth?: { interval: string; frequency?: string } }): number | undefined {
  const items = readJsonPath(root, spec.sum);
  if (!Array.isArray(items)) return undefined;
  let total = 0;
  for (const item of items) {
    const amount = numeric(readDotted(item, spec.of));
    if (amount === undefined) return undefined;
    const times = spec.times === undefined ? 1 : numeric(readDotted(item, spec.times));
    if (times === undefined) return undefined;
    let perMonth = 1;
    if (spec.perMonth) {
      const interval = readDotted(item, spec.perMonth.interval);
      const frequency = spec.perMonth.frequency === undefined ? 1 : (numeric(readDotted(item, spec.perMonth.frequency)) ?? 1);
      const months = typeof interval === "string" && Object.hasOwn(MONTHS_PER, interval) ? MONTHS_PER[interval]! * frequency : undefined;
      if (!months) return undefined;
      perMonth = 1 / months;
    }
    total += amount * times * perMonth;
  }
  return Math.round(total);
}

/** The value a spec gives for this payload, or undefined when it has none. */
export function evaluate(root: unknown, spec: ValueSpec): unknown {
  if (typeof spec === "string") return nonEmpty(readJsonPath(root, spec));
  if ("const" in spec) return spec.const;
  if ("sum" in spec) return sumOf(root, spec);
  if ("first" in spec) {
    for (const s of spec.first) {
      const v = evaluate(root, s);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  if ("join" in spec) {
    const parts = spec.join.map((s) => evaluate(root, s));
    if (!parts.every((p) => typeof p === "string" || (typeof p === "number" && Number.isFinite(p)))) return undefined;
    return parts.join(spec.with ?? ":");
  }
  let v = nonEmpty(readJsonPath(root, spec.path));
  if (v !== undefined && spec.as) v = convert(v, spec.as);
  if (spec.map) {
    const key = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
    v = key !== undefined && Object.hasOwn(spec.map, key) ? spec.map[key] : undefined;
  }
  return v ?? (spec.default === null ? undefined : spec.default);
}

/** Null and empty strings carry nothing: they leave the field absent. */
function nonEmpty(v: unknown): unknown {
  return v === null || v === "" ? undefined : v;
}

/** The JSON path a spec reads first: where a refusal of its value points. */
export function specPath(spec: ValueSpec): (string | number)[] {
  if (typeof spec === "string") return pathSteps(spec);
  if ("path" in spec) return pathSteps(spec.path);
  if ("sum" in spec) return pathSteps(spec.sum);
  if ("first" in spec) return specPath(spec.first[0]!);
  if ("join" in spec) return specPath(spec.join[0]!);
  return [];
}

/** The event time in ms, from the first of its paths that has one. */
export function eventTimeOf(root: unknown, t: EventTime): number | undefined {
  for (const at of "first" in t ? t.first : [t]) {
    const v = convert(readJsonPath(root, at.path), at.as);
    if (typeof v === "number") return v;
  }
  return undefined;
}

const same = (a: unknown, b: unknown) => a === b || (a !== undefined && JSON.stringify(a) === JSON.stringify(b));

export function holds(root: unknown, c: Condition): boolean {
  const v = evaluate(root, c.value);
  if (c.in) return v !== undefined && c.in.some((x) => same(v, x));
  if (c.notIn) return v === undefined || !c.notIn.some((x) => same(v, x));
  const [min, max] = c.outside!;
  return typeof v === "number" && (v < min || v > max);
}
