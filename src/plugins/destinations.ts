import { bundledPluginFiles } from "../../plugins";
import { log } from "../log";
import { pathOf, type DeclarationProblem } from "./schema";
import { destinationDeclarationSchema, type DestinationDeclaration } from "./destination-schema";

/** The bundled destination declarations (plugins/*.json with `"kind": "destination"`); a malformed one is listed, never used. */

export interface LoadedDestinations {
  byName: Record<string, DestinationDeclaration>;
  broken: { file: string; error: DeclarationProblem }[];
}

export const isDestinationFile = (json: unknown): boolean => typeof json === "object" && json !== null && (json as { kind?: unknown }).kind === "destination";

export function loadDestinations(files: Record<string, unknown>): LoadedDestinations {
  const out: LoadedDestinations = { byName: {}, broken: [] };
  for (const [file, json] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isDestinationFile(json)) continue;
    const r = destinationDeclarationSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      out.broken.push({ file, error: { path: pathOf(issue.path), message: issue.message } });
      continue;
    }
    if (Object.hasOwn(out.byName, r.data.name)) {
      out.broken.push({ file, error: { path: "name", message: `a destination named "${r.data.name}" already exists` } });
      continue;
    }
    out.byName[r.data.name] = r.data;
  }
  return out;
}

export const declaredDestinations = loadDestinations(bundledPluginFiles);
for (const b of declaredDestinations.broken) log("error", "plugin declaration refused", { file: b.file, path: b.error.path, message: b.error.message });

/** The secrets and base a destination reads, from the environment; null with the missing names when one is unset. */
export function destinationEnv(d: DestinationDeclaration, env: Record<string, unknown>): { secrets: Record<string, string>; base: string } | { missing: string[] } {
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const [k, name] of Object.entries(d.secrets)) {
    const v = env[name];
    if (typeof v === "string" && v.trim() !== "") secrets[k] = v;
    else missing.push(name);
  }
  if (missing.length > 0) return { missing };
  const b = d.baseUrl.env ? env[d.baseUrl.env] : undefined;
  return { secrets, base: typeof b === "string" && b.trim() !== "" ? b.trim() : d.baseUrl.default };
}

/** Declared destinations share one gate: it runs at the slowest declared rate (parseRate's "n/Nunit"). */
export function declaredRateLimit(): string {
  const perSecond = (spec: string) => {
    const m = /^(\d+)\/(\d+)(ms|s|m)$/.exec(spec)!;
    return Number(m[1]) / (Number(m[2]) * { ms: 0.001, s: 1, m: 60 }[m[3] as "ms" | "s" | "m"]);
  };
  const specs = Object.values(declaredDestinations.byName).map((d) => d.rateLimit);
  return specs.length === 0 ? "10/1s" : specs.reduce((a, b) => (perSecond(b) < perSecond(a) ? b : a));
}

/** The declared destinations whose secrets are all set: the pipeline plans requests for these only. */
export function readyDestinations(cfg: object): { name: string; events: DestinationDeclaration["events"]; coalesce: boolean; windowMs?: number }[] {
  return Object.values(declaredDestinations.byName)
    .filter((d) => !("missing" in destinationEnv(d, cfg as Record<string, unknown>)))
    .map((d) => ({ name: d.name, events: d.events, coalesce: d.coalesce, ...(d.batch?.windowMs ? { windowMs: d.batch.windowMs } : {}) }));
}

/** What the pipeline needs to plan the outbound stream and declared destinations, from the deployment's config. */
export function outboundDeps(cfg: { WEBHOOK_OUT_URL?: string }): { outboundWebhook: boolean; declaredDestinations: ReturnType<typeof readyDestinations> } {
  return { outboundWebhook: cfg.WEBHOOK_OUT_URL !== undefined, declaredDestinations: readyDestinations(cfg) };
}

/** The API bases of the bundled destinations whose secrets are set: the outbox gates requests to them as "declared". */
export function declaredBases(cfg: object): string[] {
  return Object.values(declaredDestinations.byName).flatMap((d) => {
    const e = destinationEnv(d, cfg as Record<string, unknown>);
    return "missing" in e ? [] : [e.base];
  });
}
