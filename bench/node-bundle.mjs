// Bundles TypeScript modules of the repo for Node with esbuild, so the bench can run the real code.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { esbuildBin, root, tempDir } from "./lib.mjs";

const BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** Bundles `entrySource` (TypeScript, imports relative to the repo root) and imports the result. */
export async function importBundled(name, entrySource) {
  const out = join(tempDir(`bundle-${name}`), `${name}.mjs`);
  const r = spawnSync(
    esbuildBin,
    ["--bundle", "--platform=node", "--format=esm", "--target=node22", "--loader=ts", `--sourcefile=${name}-entry.ts`, `--outfile=${out}`, `--banner:js=${BANNER}`, "--log-level=error"],
    { cwd: root, input: entrySource, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`esbuild failed for ${name}:\n${r.stderr}`);
  return import(pathToFileURL(out).href);
}
