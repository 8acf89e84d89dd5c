#!/usr/bin/env node
// `npm run demo`: a local Tenure, fake HubSpot/Slack/Stripe, and a generated quarter of ~50 customers
// replayed through the real, signed webhook endpoints. Options:
//   --seed N        the generator's seed (default 42): same seed, same customers and events
//   --customers N   how many accounts (default 50)
//   --now ISO       when the generated quarter ends (default: the current time)
//   --keep-state    keep the demo database of a previous run (default: start from an empty one)
//   --exit          stop everything after the summary (default: keep serving the dashboard)
import { intOption, parseCli } from "../cli.mjs";
import { scheduleCrons } from "../local-cron.mjs";
import { loadDemoModules } from "./bundle.mjs";
import { done, line, replay, waitApplied } from "./replay.mjs";
import { report, waitActions } from "./report.mjs";
import { ensureFakes, ensureServer, getJson } from "./server.mjs";

const USAGE = `
npm run demo [-- options]

A local Tenure with fake HubSpot, Slack and Stripe, and a generated quarter of customers replayed through
the real, signed webhook endpoints; then a summary, and the dashboard stays up at http://127.0.0.1:8787.
  --seed N         the generator's seed (default 42): same seed, same customers and events
  --customers N    how many accounts (default 50)
  --now ISO        when the generated quarter ends (default: the current time); the same seed and --now
                   give the same deliveries, whatever the time of day the demo runs
  --concurrency N  deliveries in flight during the replay (default 8)
  --keep-state     keep the demo database of a previous run (default: start from an empty one)
  --exit           stop everything after the summary (default: keep serving the dashboard)
  -h, --help       this text
`;
const { values: opts } = parseCli(USAGE, {
  options: {
    seed: { type: "string", default: "42" },
    customers: { type: "string", default: "50" },
    "keep-state": { type: "boolean", default: false },
    exit: { type: "boolean", default: false },
    concurrency: { type: "string", default: "8" },
    now: { type: "string" },
  },
});

const DAILY_CRON = "17 3 * * *";

/** Stops what this run started (the server runs in its own process group, so it needs telling). */
let cleanup = async () => {};
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, async () => (await cleanup(), process.exit(130)));

function quarterEnd(iso) {
  if (iso === undefined) return Date.now();
  const at = Date.parse(iso);
  if (!Number.isFinite(at) || at > Date.now()) {
    console.error(`--now must be a date-time no later than the current time, like 2026-12-01T12:00:00Z; got ${JSON.stringify(iso)}${USAGE}`);
    process.exit(2);
  }
  return at;
}

/** Fires the daily cron on the local server (reconciliation runs there). */
async function runDaily(base) {
  for (const path of ["/cdn-cgi/handler/scheduled", "/__scheduled", "/cdn-cgi/local/scheduled"]) {
    const res = await getJson(`${base}${path}?cron=${encodeURIComponent(DAILY_CRON)}`, { timeoutMs: 60_000 });
    if (res?.status === 200) return true;
  }
  return false;
}

async function reconcile(quarter, ctx) {
  if (!(await runDaily(ctx.base))) return console.log("  could not fire the daily cron on this server; skipped");
  await waitApplied({ ...ctx, label: "reconciliation" });
  // A page that met Stripe's rate limit (the fake enforces it) is retried by the queue after a delay the backlog may not show.
  let recovered = [];
  for (const deadline = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 1_000))) {
    const events = (await getJson(`${ctx.base}/api/events?source=stripe&limit=500`, { headers: ctx.admin }))?.body?.events ?? [];
    const ids = new Set(events.map((e) => e.id));
    recovered = quarter.missed.filter((id) => ids.has(`stripe:${id}`));
    if (recovered.length === quarter.missed.length || Date.now() > deadline) break;
    line(`  reconciliation: ${recovered.length} of ${quarter.missed.length} missed webhooks recovered so far`);
  }
  await waitApplied({ ...ctx, label: "reconciliation" });
  done(`  ${quarter.missed.length} Stripe webhooks were never sent (an outage); the daily reconciliation recovered ${recovered.length} from Stripe's event list`);
}

async function backfillHubspot(ctx) {
  const post = () => getJson(`${ctx.base}/api/backfill`, { method: "POST", headers: { ...ctx.admin, "content-type": "application/json" }, body: JSON.stringify({ source: "hubspot" }), timeoutMs: 60_000 });
  let res = await post();
  for (let i = 0; i < 240 && res?.body?.status !== "done"; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const p = (await getJson(`${ctx.base}/api/backfill`, { headers: ctx.admin }))?.body?.runs?.find((r) => r.source === "hubspot");
    if (!p || p.status === "done") break;
    line(`  HubSpot backfill: ${p.objects.map((o) => `${o.object} ${o.read}`).join(", ")}`);
    if (!p.busy) res = await post();
  }
  await waitApplied({ ...ctx, label: "backfill" });
  const p = (await getJson(`${ctx.base}/api/backfill`, { headers: ctx.admin }))?.body?.runs?.find((r) => r.source === "hubspot");
  done(`  HubSpot backfill (companies, contacts, deals with their associations): ${p?.objects.map((o) => `${o.read} ${o.object}`).join(", ")}; ${p?.imported ?? 0} new facts`);
}

/** What an admin does once after installing: Tenure's HubSpot properties and Stripe coupons. */
async function setupVendors(ctx) {
  const results = [];
  for (const vendor of ["hubspot", "stripe"]) {
    const res = await getJson(`${ctx.base}/api/setup/${vendor}`, { method: "POST", headers: { ...ctx.admin, "content-type": "application/json" }, body: "{}", timeoutMs: 30_000 });
    results.push(`${vendor} ${res?.status === 200 ? "ok" : (res?.status ?? "unreachable")}`);
  }
  console.log(`  setup (HubSpot properties, Stripe coupons): ${results.join(", ")}`);
}

/**
 * Referral codes are Tenure's (derived from the referrer's customer id), so they exist only once the
 * referrers do: after wave 2, each referrer gets a code and the referred accounts' checkouts carry it.
 */
async function bindReferrals(quarter, ctx) {
  let bound = 0;
  for (const r of quarter.referrals) {
    const referrer = (await getJson(`${ctx.base}/api/customers?domain=${encodeURIComponent(r.referrer)}`, { headers: ctx.admin }))?.body?.customers?.[0];
    if (!referrer) continue;
    const res = await getJson(`${ctx.base}/api/referrals/codes`, { method: "POST", headers: { ...ctx.admin, "content-type": "application/json" }, body: JSON.stringify({ customerId: referrer.id }) });
    const code = res?.body?.code;
    if (!code) continue;
    for (const d of quarter.deliveries) {
      if (d.source !== "stripe" || d.kinds[0] !== "checkout.session.completed") continue;
      const event = JSON.parse(d.body);
      if (event.data.object.customer !== r.stripeCustomerId) continue;
      event.data.object.metadata = { ...event.data.object.metadata, referral_code: code };
      d.body = JSON.stringify(event);
      bound += 1;
    }
  }
  done(`  referral codes created for ${new Set(quarter.referrals.map((r) => r.referrer)).size} champions; ${bound} new customers checked out with one`);
}

async function main() {
  const t0 = Date.now();
  console.log("Tenure demo: a generated quarter of customers, through the real webhook endpoints.\n");
  const m = await loadDemoModules();
  const fakes = await ensureFakes(m);
  const f = m.DEMO.fakePorts;
  console.log(`  fake HubSpot :${f.hubspot}, Slack :${f.slack}, Stripe :${f.stripe}${fakes.reused ? " (already running)" : ""}`);
  cleanup = () => fakes.close();
  const server = await ensureServer({ port: m.DEMO.port, vars: m.demoVars(), fresh: !opts["keep-state"] });
  cleanup = async () => (await server.stop(), await fakes.close());
  const ctx = { base: m.DEMO.publicUrl, admin: { authorization: `Bearer ${m.DEMO.secrets.ADMIN_TOKEN}` } };
  const health = await getJson(`${ctx.base}/health`);
  console.log(`  Tenure :${m.DEMO.port}${server.reused ? " (already running: it must use the demo's variables, see scripts/demo/settings.ts)" : ` (wrangler dev, log: ${server.logFile})`}`);
  if ((await getJson(`${ctx.base}/api/events?limit=1`, { headers: ctx.admin }))?.status !== 200) {
    throw new Error(`A server already answers on :${m.DEMO.port} with other secrets (npm start?). Stop it and run the demo again: it starts its own.`);
  }
  // Only the sources the demo sends to matter here; the others (Freshdesk, Help Scout, declared plugins) are simply not configured.
  const DEMO_SOURCES = ["stripe", "hubspot", "segment", "intercom", "zendesk", "delighted", "typeform"];
  const disabled = Object.entries(health?.body?.sources ?? {}).filter(([k, v]) => v !== "enabled" && DEMO_SOURCES.includes(k));
  if (disabled.length) console.log(`  ! disabled on this server: ${disabled.map(([k]) => k).join(", ")}; their webhooks will be refused`);

  // The vendors hold their records before setup: setting up HubSpot also syncs its owners' names.
  const quarter = m.generateQuarter({ seed: intOption("seed", opts.seed, USAGE), customers: intOption("customers", opts.customers, USAGE), now: quarterEnd(opts.now) });
  await getJson(`http://127.0.0.1:${f.hubspot}/__fakes/seed`, { method: "POST", body: JSON.stringify(quarter.seeds.hubspot) });
  await getJson(`http://127.0.0.1:${f.stripe}/__fakes/seed`, { method: "POST", body: JSON.stringify({ ...quarter.seeds.stripe, events: quarter.stripeEvents }) });
  await setupVendors(ctx);
  console.log(`\nReplaying ${quarter.deliveries.length} signed webhooks for ${quarter.accounts.length} accounts over the last 90 days (seed ${opts.seed}):`);
  const beforeWave = async (wave) => (wave === 4 ? bindReferrals(quarter, ctx) : undefined);
  const totals = await replay(m, quarter, { ...ctx, concurrency: intOption("concurrency", opts.concurrency, USAGE), beforeWave });
  console.log(`  by source: ${Object.entries(totals.bySource).map(([k, v]) => `${k} ${v}`).join(" · ")}`);

  console.log("\nAfter the quarter:");
  await reconcile(quarter, ctx);
  await backfillHubspot(ctx);
  const pending = await waitActions({ ...ctx, onProgress: (n) => line(`  delivering actions: ${n} pending (Slack takes one message per second per channel)`) });
  done(pending ? `  ${pending} actions still pending; they keep going in the background` : "  no action left pending");

  await report(m, { ...ctx, quarter });
  console.log(`\nDashboard: ${ctx.base}/   admin token: ${m.DEMO.secrets.ADMIN_TOKEN}`);
  console.log(`API:       curl -H "authorization: Bearer ${m.DEMO.secrets.ADMIN_TOKEN}" ${ctx.base}/api/customers`);
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (opts.exit) return cleanup();
  if (!server.reused) {
    const crons = scheduleCrons(ctx.base);
    const stopServer = cleanup;
    cleanup = async () => (crons.stop(), await stopServer());
    console.log(`Cron triggers fire on schedule: ${crons.triggers.map((t) => `"${t.expr}" next ${t.next?.toISOString()}`).join(", ")}`);
  }
  if (!server.reused || !fakes.reused) console.log("\nServing the demo; Ctrl-C stops it.");
}

main().catch(async (err) => {
  console.error(`\nThe demo stopped: ${err instanceof Error ? err.message : String(err)}`);
  await cleanup();
  process.exit(1);
});
