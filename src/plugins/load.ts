import type { WebhookSource } from "../../webhooks/source";
import { parseSourceDeclaration, type DeclarationProblem, type SourceDeclaration } from "./schema";
import { isDestinationFile } from "./destinations";
import { secretProblem } from "./secrets";
import { declaredSource } from "./source";
import { isWeakScheme } from "./verify";

/**
 * Loads the bundled declarations. A malformed one is refused with the path of its problem and listed as broken;
 * every other source keeps serving.
 */

export interface LoadedPlugin {
  file: string;
  name: string;
  version: number;
  kind: "source";
  scheme: string;
  /** Token and basic-auth schemes sign nothing. */
  weak: boolean;
  secret: string;
}

export interface BrokenPlugin {
  file: string;
  error: DeclarationProblem;
}

export interface LoadedPlugins {
  sources: Record<string, WebhookSource<unknown>>;
  loaded: LoadedPlugin[];
  broken: BrokenPlugin[];
}

/** Names no declaration may take: the built-in sources', and `api` (events posted through the admin API). */
export const reservedSourceNames: ReadonlySet<string> = new Set(["stripe", "hubspot", "zendesk", "intercom", "freshdesk", "helpscout", "segment", "delighted", "typeform", "api"]);

/**
 * Checks what the schema alone cannot: the name (any safe name, see the schema) must not be taken by a built-in
 * source or an earlier declaration, and the secret must be a webhook secret, not another credential (./secrets.ts).
 */
export function checkName(d: SourceDeclaration, taken: ReadonlySet<string>): DeclarationProblem | undefined {
  if (reservedSourceNames.has(d.name)) return { path: "name", message: `"${d.name}" is a built-in source` };
  if (taken.has(d.name)) return { path: "name", message: `a source named "${d.name}" already exists` };
  const secret = secretProblem(d.secret);
  if (secret) return { path: "secret", message: secret };
  return undefined;
}

export function loadPlugins(files: Record<string, unknown>, builtIn: ReadonlySet<string>, onBroken?: (b: BrokenPlugin) => void): LoadedPlugins {
  const out: LoadedPlugins = { sources: {}, loaded: [], broken: [] };
  const taken = new Set(builtIn);
  for (const [file, json] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (isDestinationFile(json)) continue; // loaded by ./destinations.ts
    const parsed = parseSourceDeclaration(json);
    const problem = parsed.ok ? checkName(parsed.declaration, taken) : parsed.error;
    if (problem || !parsed.ok) {
      const broken = { file, error: problem! };
      out.broken.push(broken);
      onBroken?.(broken);
      continue;
    }
    const d = parsed.declaration;
    taken.add(d.name);
    out.sources[d.name] = declaredSource(d);
    out.loaded.push({ file, name: d.name, version: d.version, kind: "source", scheme: d.signature.scheme, weak: isWeakScheme(d.signature), secret: d.secret });
  }
  return out;
}
