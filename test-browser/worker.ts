import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";

/** A `wrangler dev` of this repo on a free port, with its own D1 directory and secrets. */

const root = join(import.meta.dirname, "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const quiet = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true", NO_COLOR: "1" };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface DevWorker {
  url: string;
  log: () => string;
  stop: () => Promise<void>;
}

export async function startWorker(dir: string, vars: Record<string, string>): Promise<DevWorker> {
  const persist = join(dir, "state");
  // An explicit env file: the developer's own .dev.vars is neither read nor needed.
  const envFile = join(dir, "test.env");
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n"));
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "tenure", "--local", "--persist-to", persist], { cwd: root, env: quiet, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const [port, inspector] = [await freePort(), await freePort()];
  const logPath = join(dir, "wrangler.log");
  const out = openSync(logPath, "a");
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", persist, "--env-file", envFile, "--show-interactive-dev-session=false"];
  const child: ChildProcess = spawn(wrangler, args, { cwd: root, env: quiet, stdio: ["ignore", out, out], detached: true });
  const url = `http://127.0.0.1:${port}`;
  const log = () => readFileSync(logPath, "utf8");
  const stop = async () => {
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log()}`);
    const ok = await fetch(`${url}/health`).then((r) => r.status < 500, () => false);
    if (ok) return { url, log, stop };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`wrangler dev did not answer within 90 s:\n${log()}`);
}
