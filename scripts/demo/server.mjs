// Starts (or reuses) the local Tenure server and the fake vendors for the demo.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakes } from "../fakes-server.mjs";
import { root } from "./bundle.mjs";

// Run with this very Node (wrangler needs 22; `npm run` provides it from the `node` dev dependency).
const wranglerJs = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const wrangler = (args, opts) => [process.execPath, [wranglerJs, ...args], opts];
const cache = join(root, "node_modules", ".cache", "tenure-demo");
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "1" };

export async function getJson(url, init = {}) {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 5_000) });
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: res.status, body };
  } catch {
    return null;
  }
}

/** The fakes answer on their ports already (a previous demo, or `node scripts/fakes-server.mjs`), or are started here. */
export async function ensureFakes(m) {
  const ports = m.DEMO.fakePorts;
  const probes = await Promise.all(Object.entries(ports).map(async ([vendor, port]) => (await getJson(`http://127.0.0.1:${port}/__fakes`))?.body?.vendor === vendor));
  if (probes.every(Boolean)) return { reused: true, close: async () => {} };
  if (probes.some(Boolean)) throw new Error(`Some fake vendors already run on ${Object.values(ports).join("/")} and some do not: stop them and run the demo again.`);
  const started = await startFakes({ modules: m });
  return { reused: false, close: started.close };
}

/**
 * Reuses a server that answers /health on the port; otherwise migrates a demo-only local D1
 * (.wrangler/demo, so the developer's own local data is untouched) and starts `wrangler dev` with
 * the demo's variables as --var and an empty env file, so a .dev.vars is neither read nor changed.
 */
export async function ensureServer({ port, vars, fresh }) {
  if (await getJson(`http://127.0.0.1:${port}/health`)) return { reused: true, stop: async () => {}, logFile: null };
  const persist = join(root, ".wrangler", "demo");
  if (fresh) rmSync(persist, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const logFile = join(cache, "wrangler.log");
  const emptyEnv = join(cache, "empty.env");
  writeFileSync(emptyEnv, "");
  const migrate = spawnSync(...wrangler(["d1", "migrations", "apply", "tenure", "--local", "--persist-to", persist], { cwd: root, env: quietEnv, encoding: "utf8" }));
  if (migrate.status !== 0) throw new Error(`Migrating the demo database failed:\n${migrate.stdout}\n${migrate.stderr}`);
  const out = openSync(logFile, "w");
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, "--env-file", emptyEnv, "--test-scheduled", "--show-interactive-dev-session=false", ...varArgs];
  // Its own process group, so stopping it also stops the workerd it runs.
  const child = spawn(...wrangler(args, { cwd: root, env: quietEnv, stdio: ["ignore", out, out], detached: true }));
  let exited = null;
  child.on("exit", (code) => (exited = code ?? 1));
  const stop = async () => {
    if (exited !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    signalGroup(child.pid, "SIGINT");
    const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), 5_000);
    await gone;
    clearTimeout(timer);
    signalGroup(child.pid, "SIGKILL");
  };
  for (let i = 0; i < 120; i++) {
    if (exited !== null) throw new Error(`wrangler dev exited (${exited}). Its log:\n${tail(logFile)}`);
    if ((await getJson(`http://127.0.0.1:${port}/health`))?.status === 200) return { reused: false, stop, logFile };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`Tenure did not answer on :${port} within 60 s. wrangler's log:\n${tail(logFile)}`);
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function tail(file) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}
