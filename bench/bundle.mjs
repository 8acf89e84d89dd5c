// Bundle: the Worker as `wrangler deploy --dry-run` builds it, raw and gzipped.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { root, round, tempDir, wranglerBin } from "./lib.mjs";

const GOAL_GZIP_BYTES = 1024 * 1024;

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

export function benchBundle() {
  const out = tempDir("bundle");
  const r = spawnSync(wranglerBin, ["deploy", "--dry-run", "--outdir", out], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  const code = files(out).filter((f) => /\.(m?js|wasm)$/.test(f));
  const raw = code.reduce((s, f) => s + statSync(f).size, 0);
  const gzip = code.reduce((s, f) => s + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  return {
    files: code.length,
    rawBytes: raw,
    gzipBytes: gzip,
    rawKiB: round(raw / 1024, 1),
    gzipKiB: round(gzip / 1024, 1),
    goalGzipKiB: GOAL_GZIP_BYTES / 1024,
    withinGoal: gzip <= GOAL_GZIP_BYTES,
  };
}
