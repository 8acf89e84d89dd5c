// Bundles the demo's TypeScript (generator, signer, fake vendors) into one ES module Node can import:
// the fakes use TypeScript-only syntax, so they cannot be loaded by Node directly.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function loadDemoModules() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    throw new Error("esbuild is missing (it comes with wrangler): run `npm ci` first.");
  }
  const outdir = join(root, "node_modules", ".cache", "tenure-demo");
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, "demo.mjs");
  await esbuild.build({
    entryPoints: [join(root, "scripts", "demo", "entry.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "error",
    // Some bundled CommonJS dependencies call require() at run time.
    banner: { js: "import { createRequire as __tenureRequire } from 'node:module'; const require = __tenureRequire(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}
