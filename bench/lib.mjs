// Shared pieces of the benchmark: starting workers on workerd, ports, percentiles, a text table.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const wranglerBin = join(root, "node_modules", ".bin", "wrangler");
export const esbuildBin = join(root, "node_modules", ".bin", "esbuild");
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tempDirs = [];
/** Process groups of the workers still running: stopped on Ctrl-C too, so none outlives the bench. */
const running = new Set();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }
    process.exit(130);
  });
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `tenure-bench-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes the run's temporary state, bundles and logs (kept when a run fails, for a look). */
export function removeTempDirs() {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Applies the D1 migrations to a fresh local database under `persistTo`. */
export function migrate(persistTo) {
  const r = spawnSync(wranglerBin, ["d1", "migrations", "apply", "tenure", "--local", "--persist-to", persistTo], {
    cwd: root,
    env: { ...quietEnv, CI: "true" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}\n${r.stderr}`);
}

/** Runs one SQL statement against the local D1 file of a running app; returns its rows. */
export function d1Query(persistTo, sql) {
  const r = spawnSync(wranglerBin, ["d1", "execute", "tenure", "--local", "--persist-to", persistTo, "--json", "--command", sql], {
    cwd: root,
    encoding: "utf8",
    env: { ...quietEnv, CI: "true" },
  });
  if (r.status !== 0) throw new Error(`d1 execute failed: ${r.stderr}`);
  return JSON.parse(r.stdout)[0].results;
}

/**
 * Starts `wrangler dev` for a config on 127.0.0.1 with the given vars, and waits until it answers.
 * An empty --env-file keeps a developer's .dev.vars out of the run: only `vars` are bound.
 * Returns { url, stop, logFile }.
 */
export async function startWorker({ name, config, vars, persistTo, readyPath = "/", timeoutMs = 90_000, logLevel = process.env.BENCH_WRANGLER_LOG_LEVEL ?? "warn" }) {
  const port = await freePort();
  const inspector = await freePort();
  const dir = tempDir(name);
  const envFile = join(dir, "empty.env");
  writeFileSync(envFile, "");
  const logFile = join(dir, "wrangler.log");
  const args = ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--env-file", envFile];
  args.push("--show-interactive-dev-session=false", "--log-level", logLevel);
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(wranglerBin, args, { cwd: root, env: quietEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  running.add(child.pid);
  child.on("exit", (code) => {
    exited = code ?? -1;
    running.delete(child.pid);
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
    if (exited === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${name}: wrangler dev exited with ${exited}; see ${logFile}`);
    try {
      const res = await fetch(url + readyPath, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return { url, port, inspector, stop, logFile, pid: child.pid };
    } catch {
      await sleep(250);
    }
  }
  await stop();
  throw new Error(`${name}: not ready after ${timeoutMs} ms; see ${logFile}`);
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** A plain fixed-width table (first column left-aligned, the rest right-aligned). */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? "–" : String(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** The same table as GitHub markdown. */
export function mdTable(headers, rows) {
  const fmt = (r) => `| ${r.map((c) => (c === null || c === undefined ? "–" : String(c))).join(" | ")} |`;
  return [fmt(headers), `|${headers.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`, ...rows.map(fmt)].join("\n");
}

export const round = (n, d = 0) => (n === null || n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(d)));

/**
 * The app's wrangler.toml without the events consumer, in a temp dir (paths made absolute): the same
 * ingest path, with scoring detached, to show what ingest costs on its own.
 */
export function ingestOnlyConfig() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8")
    .replace(/^main = "(.+)"$/m, (_, p) => `main = ${JSON.stringify(join(root, p))}`)
    .replace(/^migrations_dir = "(.+)"$/m, (_, p) => `migrations_dir = ${JSON.stringify(join(root, p))}`)
    .replace(/\[\[queues\.consumers\]\]\nqueue = "tenure-events"\n(?:[^\n[]+\n)*/m, "");
  if (/queue = "tenure-events"\nmax_batch/.test(toml)) throw new Error("could not drop the events consumer from wrangler.toml");
  const file = join(tempDir("ingest-only"), "wrangler.toml");
  writeFileSync(file, toml);
  return file;
}

/**
 * The app's wrangler.toml with bench/metered/index.ts as its entry (the app, with its bindings counted), in
 * a temp dir (paths made absolute): every binding, queue consumer, Durable Object and cron as the app has them.
 */
export function meteredConfig() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8")
    .replace(/^main = "(.+)"$/m, () => `main = ${JSON.stringify(join(root, "bench", "metered", "index.ts"))}`)
    .replace(/^migrations_dir = "(.+)"$/gm, (_, p) => `migrations_dir = ${JSON.stringify(join(root, p))}`);
  if (!toml.includes(join(root, "bench", "metered"))) throw new Error("could not point wrangler.toml at the metered entry");
  const file = join(tempDir("metered"), "wrangler.toml");
  writeFileSync(file, toml);
  return file;
}

/**
 * The metered app bundled once, now, and served as that bundle (`no_bundle`): `wrangler dev` rebuilds and
 * restarts the Worker whenever a source file changes, which mid-run would reset the Worker (and its counts)
 * and measure two different trees. Returns the config to start it with.
 */
export function frozenMeteredConfig() {
  const config = meteredConfig();
  const out = tempDir("metered-bundle");
  const r = spawnSync(wranglerBin, ["deploy", "--dry-run", "--outdir", out, "-c", config], { cwd: root, encoding: "utf8", env: { ...quietEnv, CI: "true" } });
  if (r.status !== 0) throw new Error(`bundling the metered app failed:\n${r.stdout}\n${r.stderr}`);
  const entry = readdirSync(out).find((f) => /^index\.m?js$/.test(f));
  if (!entry) throw new Error(`no bundle in ${out}`);
  const toml = readFileSync(config, "utf8").replace(/^main = .+$/m, () => `main = ${JSON.stringify(join(out, entry))}\nno_bundle = true`);
  const file = join(tempDir("metered-frozen"), "wrangler.toml");
  writeFileSync(file, toml);
  return file;
}
