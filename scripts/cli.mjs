// The scripts' shared command line: node's parseArgs plus `--help`, and a usage message instead of a
// stack trace when an option is wrong.
import { parseArgs } from "node:util";

/**
 * @param {string} usage  what `--help` prints (the script's synopsis and options)
 * @param {import("node:util").ParseArgsConfig} config
 */
export function parseCli(usage, config = {}) {
  const options = { ...config.options, help: { type: "boolean", short: "h", default: false } };
  let parsed;
  try {
    parsed = parseArgs({ ...config, options, args: config.args ?? process.argv.slice(2) });
  } catch (err) {
    console.error(`${err.message}\n\n${usage.trim()}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(usage.trim());
    process.exit(0);
  }
  return parsed;
}

/** A positive integer option, or a clear exit. */
export function intOption(name, value, usage) {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive whole number, not ${JSON.stringify(value)}\n\n${usage.trim()}`);
    process.exit(2);
  }
  return n;
}

/** The cron expressions of wrangler.toml's [triggers] table. */
export function cronTriggers(toml) {
  const section = /^\[triggers\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? "";
  const list = /^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(section)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}
