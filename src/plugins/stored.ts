import type { WebhookSource } from "../../webhooks/source";
import { declaredSourceNameSchema } from "../core/events";
import { activePluginVersionId, loadPluginVersionById, type PluginVersionRow } from "../store/plugin-versions";
import { sources } from "../../webhooks/registry";
import { checkName, reservedSourceNames } from "./load";
import { parseSourceDeclaration, type DeclarationProblem, type SourceDeclaration } from "./schema";
import { declaredSource } from "./source";

/**
 * Source declarations stored through POST /api/plugins, served at POST /webhooks/{name} once active. A version
 * row never changes, so its parse is cached per isolate by version id; which version is active is read from D1
 * on each delivery, so an activation or rollback is seen by every isolate at once.
 * A stored definition that no longer parses (a later deploy tightened the format) answers 503 on its own endpoint
 * and is listed as broken; no other source reads it.
 */

export type ParsedVersion = { ok: true; declaration: SourceDeclaration; source: WebhookSource<unknown> } | { ok: false; error: DeclarationProblem };

const MAX_CACHED = 64;
const cache = new Map<string, ParsedVersion>();

/** Names a stored source may not take: the built-in sources and the bundled declarations (plugins/). */
let taken: ReadonlySet<string> | undefined;
export const namesTaken = (): ReadonlySet<string> => (taken ??= new Set([...reservedSourceNames, ...Object.keys(sources)]));

/** How many parsed versions this isolate holds (at most MAX_CACHED). */
export const cachedVersionCount = () => cache.size;

function cached(id: string): ParsedVersion | undefined {
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id); // re-inserted: the map's order is least recently used first
    cache.set(id, hit);
  }
  return hit;
}

function remember(id: string, parsed: ParsedVersion): ParsedVersion {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(id, parsed);
  return parsed;
}

/** Parses a stored version as a source (once per isolate and version). */
export function parseStoredVersion(row: Pick<PluginVersionRow, "id" | "name" | "definition">): ParsedVersion {
  return cached(row.id) ?? remember(row.id, parseStored(row, namesTaken()));
}

function parseStored(row: Pick<PluginVersionRow, "name" | "definition">, taken: ReadonlySet<string>): ParsedVersion {
  let json: unknown;
  try {
    json = JSON.parse(row.definition);
  } catch {
    return { ok: false, error: { path: "(root)", message: "the stored definition is not valid JSON" } };
  }
  const parsed = parseSourceDeclaration(json);
  if (!parsed.ok) return parsed;
  if (parsed.declaration.name !== row.name) return { ok: false, error: { path: "name", message: `the definition is named "${parsed.declaration.name}", stored as "${row.name}"` } };
  const problem = checkName(parsed.declaration, taken);
  if (problem) return { ok: false, error: problem };
  return { ok: true, declaration: parsed.declaration, source: declaredSource(parsed.declaration) };
}

export type StoredLookup = { found: false } | { found: true; versionId: string; parsed: ParsedVersion };

/** The active stored source of this name, parsed. A built-in or bundled name is never looked up: the bundled file wins. */
export async function lookupStoredSource(db: D1Database, name: string): Promise<StoredLookup> {
  if (!declaredSourceNameSchema.safeParse(name).success || namesTaken().has(name)) return { found: false };
  const versionId = await activePluginVersionId(db, name);
  if (versionId === null) return { found: false };
  const hit = cached(versionId);
  if (hit) return { found: true, versionId, parsed: hit };
  const row = await loadPluginVersionById(db, versionId);
  return row ? { found: true, versionId, parsed: parseStoredVersion(row) } : { found: false };
}
