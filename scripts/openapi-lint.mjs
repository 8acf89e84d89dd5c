#!/usr/bin/env node
// Lints the OpenAPI document Tenure serves at GET /openapi.json with Redocly's recommended rules (redocly.yaml).
// The document is the TypeScript object itself, bundled for Node, so no server has to run.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { importBundled } from "../bench/node-bundle.mjs";
import { removeTempDirs, root, tempDir } from "../bench/lib.mjs";

const { values } = parseArgs({ options: { help: { type: "boolean", short: "h" }, keep: { type: "boolean" } } });
if (values.help) {
  console.log(`Usage: npm run lint:openapi [-- --keep]

Writes the OpenAPI document (src/routes/openapi-doc.ts, served at GET /openapi.json) to a temporary JSON file
and runs \`redocly lint\` on it with redocly.yaml (the recommended rules). Exits non-zero on any error or warning.
Telemetry is off and nothing is fetched from the network.

  --keep   keep the temporary JSON file and print its path`);
  process.exit(0);
}

const { openapiDocument } = await importBundled("openapi-doc", `export { openapiDocument } from "./src/routes/openapi-doc";`);
const file = join(tempDir("openapi"), "openapi.json");
writeFileSync(file, JSON.stringify(openapiDocument, null, 2));

const redocly = join(root, "node_modules", "@redocly", "cli", "bin", "cli.js");
const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };
const lint = (format, stdio) =>
  spawnSync(process.execPath, [redocly, "lint", file, "--config", join(root, "redocly.yaml"), `--format=${format}`, "--max-problems=200"], { cwd: root, env, stdio, encoding: "utf8" });

// Redocly exits 0 on warnings; Tenure's document has none, so a new one fails too (shown in full by a second run).
const counted = lint("json", ["ignore", "pipe", "pipe"]);
let totals;
try {
  totals = JSON.parse(counted.stdout.slice(counted.stdout.indexOf("{"))).totals;
} catch {
  process.stderr.write(counted.stdout + counted.stderr);
  console.error("redocly lint gave no JSON report.");
  process.exit(1);
}
const clean = counted.status === 0 && totals.errors === 0 && totals.warnings === 0;
if (clean) console.log(`OpenAPI document: 0 errors, 0 warnings (${Object.keys(openapiDocument.paths).length} paths, redocly recommended rules).`);
else lint("codeframe", "inherit");
if (values.keep) console.log(`The linted document: ${file}`);
else removeTempDirs();
process.exit(clean ? 0 : 1);
