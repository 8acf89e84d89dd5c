// Fires wrangler.toml's cron triggers on their schedule (UTC) against a local `wrangler dev --test-scheduled`,
// which never fires them by itself. Used by `npm start` and by the demo while it keeps serving.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cron } from "croner";
import { cronTriggers } from "./cli.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Schedules every trigger; returns them (with their next run) and a stop function. */
export function scheduleCrons(base, log = console.log) {
  const fire = async (expr) => {
    const res = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(expr)}`).catch((err) => ({ ok: false, status: err.message }));
    log(`[cron] ${new Date().toISOString()} fired "${expr}": ${res.ok ? "ok" : `failed (${res.status})`}`);
  };
  const jobs = cronTriggers(readFileSync(join(root, "wrangler.toml"), "utf8")).map((expr) => ({
    expr,
    // protect: a run still going when the next is due is not started twice.
    job: new Cron(expr, { timezone: "UTC", protect: true }, () => fire(expr)),
  }));
  return {
    triggers: jobs.map(({ expr, job }) => ({ expr, next: job.nextRun() })),
    stop: () => jobs.forEach(({ job }) => job.stop()),
  };
}
