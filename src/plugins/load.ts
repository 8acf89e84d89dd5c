import type { WebhookSource } from "../../webhooks/source";
import { sourceNameSchema } from "../core/events";
import { configSchema } from "../env";
import { parseSourceDeclaration, type DeclarationProblem, type SourceDeclaration } from "./schema";
import { isDestinationFile } from "./destinations";
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

/**
 * Checks what the schema alone cannot: the name must be one the event store accepts (src/core/events.ts), not
 * already taken by a built-in source or an earlier declaration, and its secret one the deployment reads.
 */
export function checkName(d: SourceDeclaration, taken: ReadonlySet<string>): DeclarationProblem | undefined {
  if (!sourceNameSchema.safeParse(d.name).success) {
    return { path: "name", message: `"${d.name}" is not a registered source name (${sourceNameSchema.options.join(", ")})` };
  }
  if (taken.has(d.name)) return { path: "name", message: `a source named "${d.name}" already exists` };
  if (!Object.hasOwn(configSchema.shape, d.secret)) return { path: "secret", message: `${d.secret} is not a secret this deployment reads (src/env.ts)` };
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
