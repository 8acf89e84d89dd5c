#!/usr/bin/env node
// `npm run backfill [-- stripe|hubspot ...] [--restart]`: imports existing Stripe and HubSpot records into a
// running Tenure (POST /api/backfill) and shows its progress until done. Interrupting it loses nothing:
// run it again and the import resumes from its last committed page.
// TENURE_URL (default http://127.0.0.1:8787) and ADMIN_TOKEN (default: from .dev.vars) say where and how.
import { adminTarget } from "./admin-target.mjs";
import { parseCli } from "./cli.mjs";

const USAGE = `
npm run backfill [-- stripe|hubspot ...] [--restart]

Imports existing Stripe and HubSpot records into a running Tenure (POST /api/backfill) and shows its progress
until done. Interrupting it loses nothing: run it again and it resumes from its last committed page.
  stripe, hubspot   which sources (default: both)
  --restart         start over instead of resuming
Where and how: TENURE_URL (default http://127.0.0.1:8787), ADMIN_TOKEN (default: from .dev.vars).
`;
const { values: opts, positionals } = parseCli(USAGE, { allowPositionals: true, options: { restart: { type: "boolean", default: false } } });
const unknown = positionals.filter((s) => s !== "stripe" && s !== "hubspot");
if (unknown.length) {
  console.error(`Unknown source ${unknown.join(", ")}: backfill imports stripe and hubspot.\n${USAGE}`);
  process.exit(2);
}
const sources = positionals.length ? positionals : ["stripe", "hubspot"];
const { base, headers } = adminTarget();
const tty = process.stdout.isTTY;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(method, body) {
  try {
    const res = await fetch(`${base}/api/backfill`, { method, headers, body: body && JSON.stringify(body) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch (err) {
    console.error(`\nCould not reach Tenure at ${base}: ${err.message}. Is it running (npm start)?`);
    process.exit(1);
  }
}

/** "stripe   [██████░░░░░░] customers ✓ 230 · subscriptions 100… · 330 read, 120 new" */
function render(p) {
  const width = 24;
  const done = p.objects.filter((o) => o.done).length;
  const current = p.objects.find((o) => !o.done);
  // Record totals are unknown until the last page, so the bar moves by object and half-steps within one.
  const fill = Math.round(((done + (current && current.pages > 0 ? 0.5 : 0)) / p.objects.length) * width);
  const bar = "█".repeat(fill) + "░".repeat(width - fill);
  const objects = p.objects.map((o) => `${o.object} ${o.done ? "✓ " : ""}${o.read}${!o.done && o === current ? "…" : ""}`).join(" · ");
  return `${p.source.padEnd(8)} [${bar}] ${objects} · ${p.read} read, ${p.imported} new`;
}

function show(p, final = false) {
  const text = render(p);
  if (tty) process.stdout.write(`\r\x1b[2K${text}${final ? "\n" : ""}`);
  else if (final) console.log(text);
}

async function run(source) {
  let res = await call("POST", { source, restart: opts.restart });
  if (res.status === 503) return console.log(`${source.padEnd(8)} skipped: ${res.body?.error?.message ?? "not configured"}`), true;
  let failures = 0;
  for (;;) {
    if (res.status === 502 || res.status >= 500 || res.body?.error) {
      const err = res.body?.error ?? {};
      failures += 1;
      if (err.retryable === false || failures > 5) {
        if (tty) process.stdout.write("\n");
        console.error(`${source}: ${err.message ?? `HTTP ${res.status}`}`);
        return false;
      }
      await sleep(1_000 * 2 ** failures);
    } else if (res.status >= 400) {
      console.error(`${source}: ${res.body?.error?.message ?? `HTTP ${res.status}`}`);
      return false;
    }
    const p = (await call("GET")).body?.runs?.find((r) => r.source === source);
    if (!p) return false;
    show(p, p.status === "done");
    if (p.status === "done") return true;
    await sleep(500);
    // The server keeps importing on its own for a while; when it stops (or a page failed), resume it.
    res = p.busy && p.status === "running" ? { status: 200, body: p } : await call("POST", { source });
    if (res.status < 300) failures = 0;
  }
}

let ok = true;
for (const source of sources) ok = (await run(source)) && ok;
process.exit(ok ? 0 : 1);
