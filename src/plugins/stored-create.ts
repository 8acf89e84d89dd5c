import { AppError } from "../errors";
import { insertPluginVersion, loadPluginVersion, type PluginVersionRow } from "../store/plugin-versions";
import { isDestinationFile } from "./destinations";
import { checkName } from "./load";
import { parseSourceDeclaration, type DeclarationProblem } from "./schema";
import { namesTaken } from "./stored";

/**
 * POST /api/plugins: a source declaration checked exactly as a bundled one is, then stored as a new immutable
 * version. A name a built-in source or a bundled file takes is refused with 409 rather than stored: a stored
 * declaration must not silently change (or silently fail to change) what an endpoint the deployment ships does.
 */

/** Far above any real declaration (Paddle's is about 4 KB), far below D1's row limit. */
export const MAX_DEFINITION_JSON = 64_000;

export class PluginRefused extends Error {
  constructor(readonly problem: DeclarationProblem) {
    super(problem.message);
  }
}

export interface StoreResult {
  version: PluginVersionRow;
  /** False when this exact definition was already stored under this version (the request is a replay). */
  created: boolean;
}

export async function storePluginVersion(db: D1Database, definition: unknown, opts: { activate: boolean; actor: string; now: number }): Promise<StoreResult> {
  const text = JSON.stringify(definition);
  if (text.length > MAX_DEFINITION_JSON) throw new PluginRefused({ path: "definition", message: `the definition is over ${MAX_DEFINITION_JSON} characters of JSON` });
  if (isDestinationFile(definition)) {
    throw new PluginRefused({ path: "definition.kind", message: "only sources are stored through the API; a destination is a file in plugins/ (the pipeline plans its requests from the deployment)" });
  }
  const parsed = parseSourceDeclaration(definition);
  if (!parsed.ok) throw new PluginRefused({ path: `definition.${parsed.error.path}`, message: parsed.error.message });
  const d = parsed.declaration;
  if (namesTaken().has(d.name)) {
    throw new AppError(409, "plugin_name_taken", `"${d.name}" is a built-in source or a bundled plugins/ file: a stored declaration cannot replace it. Choose another name.`, { path: "definition.name" });
  }
  const problem = checkName(d, namesTaken());
  if (problem) throw new PluginRefused({ path: `definition.${problem.path}`, message: problem.message });

  const existing = await loadPluginVersion(db, d.name, d.version);
  if (existing) {
    if (existing.definition === text) return { version: existing, created: false };
    throw new AppError(409, "plugin_version_exists", `${d.name} version ${d.version} is already stored with another definition: versions are immutable, bump "version".`, { path: "definition.version" });
  }
  try {
    const version = await insertPluginVersion(db, { name: d.name, version: d.version, kind: "source", definition: text, author: opts.actor, createdAt: opts.now }, opts.activate);
    return { version, created: true };
  } catch (err) {
    // Two requests storing the same new version at once: one wins the primary key, the other answers as above.
    if (err instanceof Error && /UNIQUE|PRIMARY KEY/i.test(err.message)) {
      throw new AppError(409, "plugin_version_exists", `${d.name} version ${d.version} was stored by a concurrent request.`, { path: "definition.version" });
    }
    throw err;
  }
}
