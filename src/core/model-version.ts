import { z } from "zod";
import { healthModelSchema, type HealthModel } from "./health";

/**
 * Health model versions: immutable, each with its parent, one active at a time. The deployment default
 * (TENURE_CONFIG's health model) is the version `DEFAULT_VERSION_ID`; every stored version's model carries its
 * own id as `version`, so each score and timeline point names the version that made it.
 */

export const DEFAULT_VERSION_ID = "default";

export const versionIdSchema = z.string().regex(/^(default|mv_[a-z0-9]{6,40})$/, "not a model version id");

export const createVersionSchema = z.object({
  model: z.unknown(),
  note: z.string().max(500).default(""),
  parent: versionIdSchema.optional(),
});

export interface ModelVersion {
  id: string;
  parent: string | null;
  model: HealthModel;
  note: string;
  author: string;
  createdAt: number;
  evaluation: unknown;
}

/** One changed number or setting between two models, by its path (`weights.billing`, `bands.red`). */
export interface ModelChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** The model a stored version runs: parsed by the same schema as TENURE_CONFIG.health, named by its id. */
export function buildVersionModel(id: string, raw: unknown): HealthModel {
  return { ...healthModelSchema.parse(raw), version: id };
}

/**
 * What changed from `parent` to `child`: weights and band thresholds first, then every other setting that
 * differs (overrides compared whole). The version labels are not a change.
 */
export function diffModels(parent: HealthModel, child: HealthModel): ModelChange[] {
  const out: ModelChange[] = [];
  walk(parent as unknown as Record<string, unknown>, child as unknown as Record<string, unknown>, "", out);
  const rank = (c: ModelChange) => (c.path.startsWith("weights.") ? 0 : c.path.startsWith("bands.") ? 1 : 2);
  return out.filter((c) => c.path !== "version").sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walk(a: Record<string, unknown>, b: Record<string, unknown>, prefix: string, out: ModelChange[]): void {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const path = prefix ? `${prefix}.${key}` : key;
    const x = a[key];
    const y = b[key];
    if (isPlainObject(x) && isPlainObject(y)) walk(x, y, path, out);
    else if (canonical(x) !== canonical(y)) out.push({ path, from: x ?? null, to: y ?? null });
  }
}

/** JSON with object keys sorted: the same settings in another key order are not a change. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isPlainObject(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
