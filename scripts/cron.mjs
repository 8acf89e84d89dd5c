#!/usr/bin/env node
// `npm run cron -- sweep|daily|"<cron expression>"`: fires one of wrangler.toml's cron triggers now on a
// local Tenure (`npm start` or `npm run demo`), through wrangler dev's /__scheduled endpoint.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cronTriggers, parseCli } from "./cli.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const crons = cronTriggers(readFileSync(join(root, "wrangler.toml"), "utf8"));
const hourly = (c) => /^\d{1,2} \* \* \* \*$/.test(c.trim());
const NAMES = {
  sweep: crons.find((c) => c.startsWith("*/")),
  daily: crons.find((c) => !c.startsWith("*/") && !hourly(c)),
  hourly: crons.find(hourly),
};

const USAGE = `
npm run cron -- <sweep | daily | hourly | "<expression>">

Fires one cron trigger of wrangler.toml now on a running local Tenure.
  sweep    "${NAMES.sweep}"  inbox and outbox sweeper
  daily    "${NAMES.daily}"  retention, Stripe reconciliation, recompute, loyalty (paged through the queue)
  hourly   "${NAMES.hourly}"  the 24-hour first-value check for deadlines that just passed
Where: TENURE_URL (default http://127.0.0.1:$PORT, PORT default 8787).
`;

const { positionals } = parseCli(USAGE, { allowPositionals: true });
const which = positionals[0];
const expr = NAMES[which] ?? which;
if (!expr || !crons.includes(expr)) {
  console.error(`${which ? `"${which}" is not a cron trigger of wrangler.toml (${crons.join(", ")})` : "Name a trigger."}\n${USAGE}`);
  process.exit(2);
}
const base = (process.env.TENURE_URL ?? `http://127.0.0.1:${process.env.PORT ?? "8787"}`).replace(/\/$/, "");
const res = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(expr)}`).catch((err) => {
  console.error(`Could not reach Tenure at ${base}: ${err.message}. Is it running (npm start)?`);
  process.exit(1);
});
console.log(`fired "${expr}" at ${base}: ${res.status} ${(await res.text()).trim()}`);
process.exit(res.ok ? 0 : 1);
