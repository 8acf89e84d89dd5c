/**
 * Structured JSON logs, one line each. Secrets are scrubbed from every line; raw payloads are never passed in.
 */
type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let secrets: string[] = [];
let configuredFrom: readonly string[] | undefined;
let minLevel: Level = "info";

export function configureLog(opts: { secrets: readonly string[]; level: Level }): void {
  minLevel = opts.level;
  if (opts.secrets === configuredFrom) return;
  configuredFrom = opts.secrets;
  secrets = opts.secrets.filter((s) => s.length >= 6);
}

function scrub(line: string): string {
  let out = line;
  for (const s of secrets) {
    // A secret with quotes or backslashes appears escaped inside the JSON line.
    for (const form of new Set([s, JSON.stringify(s).slice(1, -1)])) if (out.includes(form)) out = out.split(form).join("[redacted]");
  }
  return out;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (order[level] < order[minLevel]) return;
  const line = scrub(JSON.stringify({ level, msg, ...fields, ts: new Date().toISOString() }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { error: err.message, errorName: err.name };
  return { error: String(err) };
}
