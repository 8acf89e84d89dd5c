#!/usr/bin/env node
// `npm run bench`: ingest, pipeline, recompute and bundle figures, measured side by side in one run.
// Prints tables, writes bench/results.json and bench/RESULTS.md. Reports figures; never passes or fails.
//   npm run bench -- [--seconds 10] [--only ingest,pipeline,recompute,bundle]   (npm puts the project's Node 22 first on PATH)
//   npm run bench -- --render   re-renders the reports from bench/results.json without measuring
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchBundle } from "./bundle.mjs";
import { ingestOnlyConfig, migrate, removeTempDirs, root, round, startWorker, table, tempDir } from "./lib.mjs";
import { ingestGoals, renderMarkdown } from "./report.mjs";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    only: { type: "string", default: "ingest,pipeline,recompute,bundle" },
    render: { type: "boolean", default: false },
  },
});
const seconds = Math.max(1, Number(args.seconds));
const only = new Set(args.only.split(",").filter((x) => ["ingest", "pipeline", "recompute", "bundle"].includes(x)));

const SECRET = "whsec_bench_0123456789";
const ADMIN_TOKEN = "bench-admin-token-0123456789";
const HUBSPOT_TOKEN = "pat-bench-hubspot-0123456789";
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
if (only.has("pipeline")) printPipeline((results.pipeline = await runPipeline()));
results.machine.loadAverageAtEnd = loadavg().map((l) => round(l, 2));

if (only.size === 4) {
  writeFileSync(join(root, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeReports(results);
  console.log("\nWrote bench/results.json, bench/RESULTS.md and the README's benchmark section");
} else {
  console.log("\nPartial run (--only): bench/results.json and bench/RESULTS.md are written by a full run only.");
}
removeTempDirs();
