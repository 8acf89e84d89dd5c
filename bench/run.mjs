#!/usr/bin/env node
// `npm run bench`: ingest, pipeline, recompute, bundle and scale figures, measured side by side in one run.
// Prints tables, writes bench/results.json and bench/RESULTS.md. Reports figures; never passes or fails.
//   npm run bench -- [--seconds 10] [--only ingest,pipeline,recompute,bundle,scale]   (npm puts the project's Node 22 first on PATH)
//   npm run bench -- --only scale [--load-seconds 120]   the scale part alone (a few minutes; 600 for a 10-minute load);
//     its figures replace the scale section of bench/results.json, and the reports are re-rendered
//   npm run bench -- --only ingest-load [--load-deliveries 10000 --load-in-flight 32]   ingest under load, then the
//     queue drained without the sweeper (a few minutes; not part of the default run, its figures are printed only)
//   npm run bench -- --only model   calibration on generated cohorts: default, calibrated, naive and ceiling AUC (printed only)
//   npm run bench -- --render   re-renders the reports from bench/results.json without measuring
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchBundle } from "./bundle.mjs";
import { frozenMeteredConfig, ingestOnlyConfig, migrate, removeTempDirs, root, round, startWorker, table, tempDir, wranglerBin } from "./lib.mjs";
import { importBundled } from "./node-bundle.mjs";
import { ingestGoals, renderMarkdown } from "./report.mjs";
import { printScale } from "./scale-print.mjs";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    only: { type: "string", default: "ingest,pipeline,recompute,bundle,scale" },
    render: { type: "boolean", default: false },
    "load-seconds": { type: "string", default: "120" },
    "stream-events": { type: "string", default: "3000" },
    "quarter-events": { type: "string", default: "4000" },
    "dense-events": { type: "string", default: "18000" },
    "state-seconds": { type: "string", default: "300" },
    "past-window-days": { type: "string" },
    "no-write": { type: "boolean", default: false },
    "load-deliveries": { type: "string", default: "10000" },
    "load-in-flight": { type: "string", default: "32" },
  },
});
const seconds = Math.max(1, Number(args.seconds));
const PARTS = ["ingest", "pipeline", "recompute", "bundle", "scale"];
/** Parts run only when named in --only. */
const EXTRA_PARTS = ["ingest-load", "model"];
const only = new Set(args.only.split(",").filter((x) => PARTS.includes(x) || EXTRA_PARTS.includes(x)));

const SECRET = "whsec_bench_0123456789";
const ADMIN_TOKEN = "bench-admin-token-0123456789";
const HUBSPOT_TOKEN = "pat-bench-hubspot-0123456789";
const SEGMENT_SECRET = "segment-bench-secret-0123456789";
// Per-request info lines off: in `wrangler dev` every log line is piped through the CLI's own process.
const BASE_VARS = { STRIPE_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, LOG_LEVEL: "warn" };

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  return {
    cpus: availableParallelism(),
    model: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => round(l, 2)),
  };
}

async function withWorkers(fn) {
  const stops = [];
  try {
    return await fn((w) => (stops.push(w.stop), w));
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

async function runIngest() {
  const { benchIngest } = await import("./ingest.mjs");
  return withWorkers(async (keep) => {
    const persistTo = tempDir("ingest-state");
    migrate(persistTo);
    const verify = keep(await startWorker({ name: "verify-only", config: join(root, "bench", "verify-only", "wrangler.toml"), vars: { STRIPE_WEBHOOK_SECRET: SECRET } }));
    const floorState = tempDir("durable-floor-state");
    migrate(floorState);
    const durableFloor = keep(
      await startWorker({ name: "durable-floor", config: join(root, "bench", "durable-floor", "wrangler.toml"), persistTo: floorState, vars: { STRIPE_WEBHOOK_SECRET: SECRET } }),
    );
    const app = keep(await startWorker({ name: "app", config: join(root, "wrangler.toml"), persistTo, readyPath: "/health", vars: BASE_VARS }));
    const detachedState = tempDir("ingest-only-state");
    migrate(detachedState);
    const ingestOnly = keep(await startWorker({ name: "app-ingest-only", config: ingestOnlyConfig(), persistTo: detachedState, readyPath: "/health", vars: BASE_VARS }));
    return benchIngest({ app, ingestOnly, verify, durableFloor, secret: SECRET, adminToken: ADMIN_TOKEN, persistTo, seconds, levels: [1, 8, 32] });
  });
}

async function runIngestLoad() {
  const { benchIngestLoad } = await import("./ingest-load.mjs");
  return withWorkers(async (keep) => {
    const persistTo = tempDir("ingest-load-state");
    migrate(persistTo);
    const floorState = tempDir("ingest-load-floor-state");
    migrate(floorState);
    const verify = keep(await startWorker({ name: "load-verify-only", config: join(root, "bench", "verify-only", "wrangler.toml"), vars: { STRIPE_WEBHOOK_SECRET: SECRET } }));
    const durableFloor = keep(
      await startWorker({ name: "load-durable-floor", config: join(root, "bench", "durable-floor", "wrangler.toml"), persistTo: floorState, vars: { STRIPE_WEBHOOK_SECRET: SECRET } }),
    );
    const app = keep(await startWorker({ name: "app-ingest-load", config: join(root, "wrangler.toml"), persistTo, readyPath: "/health", vars: BASE_VARS }));
    return benchIngestLoad({
      app,
      durableFloor,
      verify,
      secret: SECRET,
      persistTo,
      deliveries: Math.max(100, Number(args["load-deliveries"])),
      inFlight: Math.max(1, Number(args["load-in-flight"])),
    });
  });
}

async function runPipeline() {
  const { startFakeHubSpot } = await import("./fake-hubspot.mjs");
  const { benchPipeline } = await import("./pipeline.mjs");
  const writes = new Map();
  const fake = await startFakeHubSpot({ token: HUBSPOT_TOKEN, onWrite: (id, at) => writes.has(id) || writes.set(id, at) });
  try {
    await fake.configure();
    return await withWorkers(async (keep) => {
      const persistTo = tempDir("pipeline-state");
      migrate(persistTo);
      const vars = { ...BASE_VARS, HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN, HUBSPOT_API_BASE: fake.url };
      const app = keep(await startWorker({ name: "app-pipeline", config: join(root, "wrangler.toml"), persistTo, readyPath: "/health", vars }));
      return benchPipeline({ app, fake, secret: SECRET, persistTo, writes, samples: 30, burstCompanies: 300 });
    });
  } finally {
    await fake.close();
  }
}

/** The recompute benchmark in a fresh Node process (same binary), so nothing else in this one skews it. */
function runRecompute() {
  const r = spawnSync(process.execPath, [join(root, "bench", "recompute.mjs")], { cwd: root, encoding: "utf8", maxBuffer: 16 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`recompute benchmark failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Segment's dedupe window as the app defines it (when it does), plus a day: the daily run past it deletes what it may. */
async function pastWindowDays() {
  if (args["past-window-days"]) return Number(args["past-window-days"]);
  try {
    const { DEDUPE_WINDOW_DAYS } = await importBundled("retention", `export { DEDUPE_WINDOW_DAYS } from "./src/store/retention";`);
    if (Number.isFinite(DEDUPE_WINDOW_DAYS?.segment)) return DEDUPE_WINDOW_DAYS.segment + 1;
  } catch {
    // no per-source window in this tree: past the raw-payload retention (30 days) instead
  }
  return 31;
}

/** The pure-core state of the largest account, in a Node process of its own (it runs while the first app measures storage only). */
function buildLargestState() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bench", "scale-state.mjs"), "--budget", args["state-seconds"]], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`largest-state build failed:\n${err}`))));
  });
}

/**
 * bench/durable-floor bundled once, now, and served as that bundle (as the metered app is): a source edit
 * during the run would otherwise reload it mid-measurement. Returns the config to start it with.
 */
function frozenFloorConfig() {
  const dir = join(root, "bench", "durable-floor");
  const out = tempDir("durable-floor-bundle");
  const r = spawnSync(wranglerBin, ["deploy", "--dry-run", "--outdir", out, "-c", join(dir, "wrangler.toml")], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`bundling the durable floor failed:\n${r.stdout}\n${r.stderr}`);
  const entry = readdirSync(out).find((f) => /^index\.m?js$/.test(f));
  if (!entry) throw new Error(`no bundle in ${out}`);
  const toml = readFileSync(join(dir, "wrangler.toml"), "utf8")
    .replace(/^main = .+$/m, () => `main = ${JSON.stringify(join(out, entry))}\nno_bundle = true`)
    .replace(/^migrations_dir = "(.+)"$/m, (_, p) => `migrations_dir = ${JSON.stringify(join(dir, p))}`);
  const file = join(tempDir("durable-floor-frozen"), "wrangler.toml");
  writeFileSync(file, toml);
  return file;
}

async function runScale() {
  const { benchScale } = await import("./scale.mjs");
  const state = buildLargestState();
  state.catch(() => {}); // awaited by benchScale; a failure surfaces there
  // The tree as it is now, bundled once: edits made while the part runs neither restart nor change the app.
  const config = frozenMeteredConfig();
  const floorConfig = frozenFloorConfig();
  const floorState = tempDir("scale-control-state");
  migrate(floorState);
  const stateDirs = new Map(["scale-quarter", "scale-dense", "scale-streams"].map((name) => [name, tempDir(`${name}-state`)]));
  for (const dir of stateDirs.values()) migrate(dir);
  return withWorkers(async (keep) =>
    benchScale({
      start: async (name) => {
        const persistTo = stateDirs.get(name) ?? tempDir(`${name}-state`);
        if (!stateDirs.has(name)) migrate(persistTo);
        const vars = { ...BASE_VARS, SEGMENT_SHARED_SECRET: SEGMENT_SECRET };
        const w = keep(await startWorker({ name, config, persistTo, readyPath: "/health", vars }));
        return { ...w, persistTo };
      },
      // The memory control: the durable floor under the same load shape (signed Stripe deliveries).
      startFloor: async () => {
        const w = keep(await startWorker({ name: "scale-control", config: floorConfig, persistTo: floorState, vars: { STRIPE_WEBHOOK_SECRET: SECRET } }));
        return { ...w, persistTo: floorState, secret: SECRET };
      },
      secret: SEGMENT_SECRET,
      adminToken: ADMIN_TOKEN,
      loadSeconds: Math.max(10, Number(args["load-seconds"])),
      streamEvents: Math.max(100, Number(args["stream-events"])),
      quarter: { accounts: 20, usersPerAccount: 50, events: Math.max(100, Number(args["quarter-events"])) },
      // One account at 200 events a day for the quarter (18,000 by default); 0 skips it.
      denseQuarter: Number(args["dense-events"]) > 0 ? { accounts: 1, usersPerAccount: 100, events: Math.max(1000, Number(args["dense-events"])) } : null,
      pastWindowDays: await pastWindowDays(),
      state,
    }),
  );
}

function printIngest(r) {
  console.log(`\nIngest: signed Stripe invoice.paid (${r.bodyBytes} B), each a new event, ${seconds} s per row`);
  const rows = r.accepted.flatMap((a) => [
    [`app           c=${a.connections}`, a.app.ratePerSec, a.app.p50Ms, a.app.p99Ms, a.app.non2xx, a.app.errors, a.ratio],
    [`ingest only   c=${a.connections}`, a.ingestOnly.ratePerSec, a.ingestOnly.p50Ms, a.ingestOnly.p99Ms, a.ingestOnly.non2xx, a.ingestOnly.errors, a.ingestOnlyRatio],
    [`durable floor c=${a.connections}`, a.durableFloor.ratePerSec, a.durableFloor.p50Ms, a.durableFloor.p99Ms, a.durableFloor.non2xx, a.durableFloor.errors, a.durableFloorRatio],
    [`verify-only   c=${a.connections}`, a.verifyOnly.ratePerSec, a.verifyOnly.p50Ms, a.verifyOnly.p99Ms, a.verifyOnly.non2xx, a.verifyOnly.errors, ""],
    [`GET floor     c=${a.connections}`, a.floor.attemptedPerSec, a.floor.p50Ms, a.floor.p99Ms, "", a.floor.errors, ""],
  ]);
  console.log(table(["target", "accepted/s", "p50 ms", "p99 ms", "non-2xx", "errors", "÷ verify-only"], rows));
  console.log("\nApp ÷ durable floor: " + r.accepted.map((a) => `${a.appOverDurableFloor} (c=${a.connections})`).join(", "));
  console.log("\nGoals");
  console.log(table(["goal", "measured", "met"], ingestGoals(r)));
  console.log("\nReject paths (app, 8 connections)");
  console.log(
    table(
      ["path", "answered/s", "p50 ms", "p99 ms", "status codes", "inbox rows before", "after", "storage untouched"],
      r.rejects.map((x) => [x.path, round(x.requests / x.seconds), x.p50Ms, x.p99Ms, JSON.stringify(x.statusCodes), x.rowsBefore, x.rowsAfter, x.storageUntouched]),
    ),
  );
}

function printIngestLoad(r) {
  console.log(`\nIngest under load: ${r.deliveries} signed Stripe invoice.paid deliveries, ${r.inFlight} in flight, events consumer running, sweeper never fired`);
  const row = (name, x) => [name, x.ok2xx, x.client4xx, x.server5xx, x.nonJson5xx, x.errors, x.acceptedPerSec, x.p50Ms, x.p99Ms, x.seconds];
  console.log(
    table(
      ["target", "2xx", "4xx", "5xx", "5xx not JSON", "errors", "accepted/s", "p50 ms", "p99 ms", "seconds"],
      [row("app", r.app), row("durable floor", r.durableFloor), row("verify-only", r.verifyOnly)],
    ),
  );
  if (r.app.firstNonJson5xx) console.log(`first non-JSON 5xx body: ${r.app.firstNonJson5xx}`);
  const i = r.inbox;
  console.log(
    table(
      ["inbox rows", "expected", "applied", "left received", "of which never tried", "failed", "drained in ms", "stalled"],
      [[i.rows, i.expectedRows, i.applied, i.received, i.receivedUntried, i.failed, i.drainedMs, i.stalled]],
    ),
  );
  console.log(`App ÷ durable floor: ${r.appOverDurableFloor}; durable floor ÷ verify-only: ${r.durableFloorRatio}`);
  console.log(`Sweeper (never fired): ${JSON.stringify(r.sweeper)}; runtime log: ${r.runtime.crossRequestIo} cross-request I/O errors, ${r.runtime.hung} "code had hung"`);
}

function printPipeline(r) {
  const l = r.latency;
  console.log(`\nPipeline: webhook -> HubSpot batch write at the fake (${l.written}/${l.samples} spaced companies)`);
  console.log(table(["measure", "p50 ms", "p95 ms", "max ms"], [["webhook to HubSpot write", l.p50Ms, l.p95Ms, l.maxMs]]));
  const b = r.burst;
  console.log(`\nBurst: ${b.companies} companies change at once (${b.webhooks} webhooks, ${b.webhookNon2xx} not 2xx)`);
  console.log(
    table(
      ["companies written", "drained in ms", "HubSpot requests", "batch updates", "429s", "other", "requests / 100 companies"],
      [[b.written, b.drainedMs, b.hubspotRequests, b.batchUpdates, b.rateLimited429, b.otherRequests, b.requestsPer100Companies]],
    ),
  );
  console.log(table(["HubSpot endpoint and status", "requests"], Object.entries(b.byEndpoint)));
  if (b.unwrittenOutbox) console.log("Companies not written; outbox at the end:", JSON.stringify(b.unwrittenOutbox));
}

function printRecompute(r) {
  console.log(`\nRecompute: pure core over generated states (${r.distinctStates} distinct, ${r.meanEventsPerCustomer} events and ${r.meanStateBytes} B each on average); goal <= ${r.goalSeconds} s for 100,000`);
  console.log(table(["measure", "customers", "seconds", "customers/s", "projected 100k s", "within goal"], r.rows.map((x) => [x.name, x.customers, x.seconds, x.perSecond, x.projected100kSeconds, x.withinGoal])));
}

function printBundle(r) {
  console.log("\nBundle: wrangler deploy --dry-run");
  console.log(table(["files", "raw KiB", "gzip KiB", "goal gzip KiB", "within goal"], [[r.files, r.rawKiB, r.gzipKiB, r.goalGzipKiB, r.withinGoal]]));
}

/** Writes bench/RESULTS.md and the README's benchmark section (between its markers) from a full run's results. */
function writeReports(results) {
  const md = renderMarkdown(results);
  writeFileSync(join(root, "bench", "RESULTS.md"), md);
  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const marked = /(<!-- bench:start -->\n)[\s\S]*?(<!-- bench:end -->)/;
  if (marked.test(readme)) writeFileSync(readmePath, readme.replace(marked, (_, a, b) => `${a}${md.replace(/^<!--.*-->\n/, "")}${b}`));
}

if (args.render) {
  // Only re-renders the last full run's figures (after a change to the report's wording); measures nothing.
  writeReports(JSON.parse(readFileSync(join(root, "bench", "results.json"), "utf8")));
  console.log("Re-rendered bench/RESULTS.md and the README's benchmark section from bench/results.json");
  process.exit(0);
}

const results = { when: new Date().toISOString(), machine: machine(), secondsPerLoadRow: seconds };
console.log(`Machine: ${results.machine.cpus} CPUs (${results.machine.model}), Node ${results.machine.node}, load average ${results.machine.loadAverageAtStart.join(" / ")}`);

// The CPU-only figures first, while no worker is running.
if (only.has("bundle")) printBundle((results.bundle = benchBundle()));
if (only.has("recompute")) printRecompute((results.recompute = runRecompute()));
if (only.has("ingest")) printIngest((results.ingest = await runIngest()));
if (only.has("ingest-load")) printIngestLoad((results.ingestLoad = await runIngestLoad()));
if (only.has("pipeline")) printPipeline((results.pipeline = await runPipeline()));
if (only.has("model")) {
  const { benchModel, printModel } = await import("./model.mjs");
  printModel((results.model = benchModel()));
}
if (only.has("scale")) {
  results.scale = await runScale();
  results.scale.measured = { when: new Date().toISOString(), loadAverageAtEnd: loadavg().map((l) => round(l, 2)) };
  printScale(results.scale);
}
results.machine.loadAverageAtEnd = loadavg().map((l) => round(l, 2));

const resultsPath = join(root, "bench", "results.json");
if (args["no-write"]) {
  console.log("\n--no-write: nothing written.");
} else if (PARTS.every((p) => only.has(p))) {
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  writeReports(results);
  console.log("\nWrote bench/results.json, bench/RESULTS.md and the README's benchmark section");
} else if (only.has("scale") && existsSync(resultsPath)) {
  // The scale part is measured on its own (it takes minutes): its figures replace the last full run's scale
  // section, with their own date and machine; the other parts' figures stay as they were measured.
  const last = JSON.parse(readFileSync(resultsPath, "utf8"));
  last.scale = { ...results.scale, machine: results.machine };
  writeFileSync(resultsPath, `${JSON.stringify(last, null, 2)}\n`);
  writeReports(last);
  console.log("\nWrote the scale section of bench/results.json, bench/RESULTS.md and the README's benchmark section");
} else {
  console.log("\nPartial run (--only): bench/results.json and bench/RESULTS.md are written by a full run (or --only scale) only.");
}
removeTempDirs();
