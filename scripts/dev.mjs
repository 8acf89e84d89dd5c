#!/usr/bin/env node
// `npm start`: Tenure locally, with local D1 (migrated), Queues, Durable Objects, and the cron triggers of
// wrangler.toml fired on their schedule. `wrangler dev` never fires crons by itself; this script does,
// through its /__scheduled endpoint.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { intOption, parseCli } from "./cli.mjs";
import { scheduleCrons } from "./local-cron.mjs";

const USAGE = `
npm start [-- --port N] [-- any wrangler dev option]

Runs Tenure on http://127.0.0.1:8787 (or --port N, or PORT=N) with a local D1 (migrated first), local
Queues and Durable Objects. State lives under .wrangler/state; secrets come from .dev.vars (created from
.dev.vars.example on the first run).

Cron triggers (wrangler.toml [triggers]) fire on their schedule, in UTC, while this runs. To fire one now:
  npm run cron -- sweep        the 2-minute inbox/outbox sweeper
  npm run cron -- daily        the daily jobs (retention, Stripe reconciliation, recompute, loyalty)
  npm run cron -- hourly       the first-value check for deadlines that just passed

Options:
  --port N      the port to listen on (default: PORT, else 8787)
  --no-cron     do not fire cron triggers (call /__scheduled yourself)
  -h, --help    this text
Anything else is passed to wrangler dev.
`;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values, tokens } = parseCli(USAGE, {
  options: { port: { type: "string" }, "no-cron": { type: "boolean", default: false } },
  strict: false,
  allowPositionals: true,
  tokens: true,
});
const port = String(intOption("port", values.port ?? process.env.PORT ?? "8787", USAGE));
// Options this script does not own go to wrangler as they were written.
const own = new Set(["port", "no-cron", "help"]);
const passthrough = tokens.flatMap((t) => {
  if (t.kind === "positional") return [t.value];
  if (t.kind !== "option" || own.has(t.name)) return [];
  return [t.inlineValue ? `${t.rawName}=${t.value}` : t.rawName];
});

const wrangler = join(root, "node_modules", ".bin", "wrangler");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example (local secrets; never committed).");
}

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "tenure", "--local"], { cwd: root, env, stdio: "inherit" });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn(wrangler, ["dev", "--port", port, "--ip", "127.0.0.1", "--test-scheduled", ...passthrough], { cwd: root, env, stdio: "inherit" });
const base = `http://127.0.0.1:${port}`;
let stopCrons = () => {};
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => (stopCrons(), dev.kill(sig)));
dev.on("exit", (code) => process.exit(code ?? 0));

async function ready() {
  for (let i = 0; i < 240; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

if (await ready()) {
  const hasToken = /^ADMIN_TOKEN=\S/m.test(readFileSync(join(root, ".dev.vars"), "utf8"));
  console.log(`\nTenure is running at ${base}`);
  console.log(`  Dashboard: ${base}/  (sign in with the ADMIN_TOKEN in .dev.vars${hasToken ? "" : ", which is not set yet"})`);
  console.log(`  API:       ${base}/openapi.json  (Authorization: Bearer <ADMIN_TOKEN>)`);
  if (values["no-cron"]) console.log("  Cron triggers: off (--no-cron)");
  else {
    const crons = scheduleCrons(base);
    stopCrons = crons.stop;
    for (const t of crons.triggers) console.log(`  Cron "${t.expr}": next at ${t.next?.toISOString()} (npm run cron -- "${t.expr}" fires it now)`);
  }
  console.log("");
} else console.error(`Tenure did not answer ${base}/health within 2 minutes; cron triggers are not scheduled.`);
