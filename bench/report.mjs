// Renders bench/results.json as the markdown snippet the README includes (bench/RESULTS.md).
import { mdTable, round } from "./lib.mjs";
import { scale } from "./scale-report.mjs";

const n = (x) => (x === null || x === undefined ? "–" : typeof x === "number" ? x.toLocaleString("en-US") : String(x));

/** The ingest goals against one run's figures: [goal, measured, met]. */
export function ingestGoals(r) {
  const at8 = r.accepted.find((a) => a.connections === 8);
  const rows = [];
  if (at8) {
    rows.push(["≥ 2,000 accepted/s at 8 connections", `${n(at8.app.ratePerSec)}/s (GET floor ${n(at8.floor.attemptedPerSec)}/s)`, at8.app.ratePerSec >= 2000]);
    rows.push(["p99 ≤ 10 ms at 8 connections", `${at8.app.p99Ms} ms (verify-only ${at8.verifyOnly.p99Ms} ms)`, at8.app.p99Ms <= 10]);
  }
  const lowest = Math.min(...r.accepted.map((a) => a.ratio));
  rows.push(["≥ 0.5 of verify-only at every level", r.accepted.map((a) => `${a.ratio} (c=${a.connections})`).join(", "), lowest >= 0.5]);
  return rows;
}

/** What the durable floor says about the ratio goal, from this run's figures. */
function durableNote(r) {
  const floor = r.accepted.map((a) => a.durableFloorRatio).filter((x) => typeof x === "number");
  const app = r.accepted.map((a) => a.appOverDurableFloor).filter((x) => typeof x === "number");
  if (floor.length === 0) return "";
  const span = (xs) => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`);
  return `One local D1 insert alone takes the durable floor down to ${span(floor)} of verify-only; the app reaches ${span(app)} of that floor. `;
}

function ingest(r, seconds) {
  const rate = (x, perSec = x?.ratePerSec) => (x ? `${n(perSec)} (${x.p50Ms} / ${x.p99Ms} ms)` : "–");
  const rates = r.accepted.map((a) => [
    a.connections,
    rate(a.app),
    a.app.non2xx + a.app.errors,
    rate(a.ingestOnly),
    rate(a.durableFloor),
    rate(a.verifyOnly),
    rate(a.floor, a.floor.attemptedPerSec),
  ]);
  const ratios = r.accepted.map((a) => [a.connections, `**${a.ratio}**`, a.ingestOnlyRatio ?? "–", a.durableFloorRatio ?? "–", a.appOverDurableFloor ?? "–"]);
  const rejects = r.rejects.map((x) => [
    x.path,
    n(round(x.requests / x.seconds)),
    `${x.p50Ms} / ${x.p99Ms}`,
    Object.entries(x.statusCodes).map(([k, v]) => `${k}×${n(v)}`).join(", "),
    `${n(x.rowsBefore)} → ${n(x.rowsAfter)}`,
  ]);
  return [
    `### Ingest (workerd via \`wrangler dev\`, local D1 + queues)`,
    "",
    `Signed Stripe \`invoice.paid\` deliveries (${n(r.bodyBytes)} B), each a new event id (a new durable inbox insert + enqueue), ${seconds} s per row, ` +
      "every target measured in the same run.",
    "",
    mdTable(["connections", "app accepted/s (p50 / p99)", "app non-2xx", "ingest only /s", "durable floor /s", "verify-only /s", "GET floor /s"], rates),
    "",
    mdTable(["connections", "app ÷ verify-only", "ingest only ÷ verify-only", "durable floor ÷ verify-only", "app ÷ durable floor"], ratios),
    "",
    "- **verify-only**: a worker that reads the body and runs the same Stripe signature check, nothing else (the limit for accepting).\n" +
      "- **durable floor**: verify-only plus the app's own inbox insert into the app's migrated D1, nothing else: no router, schema, " +
      "normalization, queue send or consumer (the limit for accepting *durably* on this runtime).\n" +
      "- **ingest only**: the app with its events consumer left out of the config (the events wait in the queue). The app itself runs its " +
      "queue consumer (scoring, identity) on the same runtime thread while it ingests; on Workers the consumer runs in its own invocations.\n" +
      "- **GET floor**: the verify-only worker answering a bare GET with 405: what `wrangler dev`'s local request path and the load " +
      "generator cost on this machine, which bounds every column.\n\n" +
      "The absolute rates are local-harness figures, not Workers production figures; the ratios are the comparable numbers. " +
      durableNote(r) +
      "When the GET floor is below 2,000/s, or verify-only's own p99 is above 10 ms, no worker can reach that absolute goal through this " +
      "harness; the ratios, against verify-only and against the durable floor, are what measure Tenure.",
    "",
    "Goals, against this run:",
    "",
    mdTable(["goal", "measured", "met"], ingestGoals(r).map(([goal, measured, met]) => [goal, measured, met ? "yes" : "no"])),
    "",
    "Reject paths (8 connections): inbox rows counted in the local D1 and the admin API's newest events compared before and after.",
    "",
    mdTable(["path", "answered/s", "p50 / p99 ms", "status codes", "inbox rows"], rejects),
  ];
}

function pipeline(r) {
  const l = r.latency;
  const b = r.burst;
  return [
    "### Pipeline (webhook → score → outbox → HubSpot, at a fake HubSpot over HTTP)",
    "",
    `Webhook to HubSpot batch write, ${l.written} of ${l.samples} companies sent one at a time: **p50 ${n(l.p50Ms)} ms, p95 ${n(l.p95Ms)} ms** (max ${n(l.maxMs)} ms; ` +
      "HubSpot writes wait HUBSPOT_COALESCE_MS, 5 s by default, so a burst fills batches; queue batch timeouts add 1 s for events and 2 s for actions).",
    "",
    `Burst: ${n(b.companies)} companies changed at once (${n(b.webhooks)} webhooks): ${n(b.written)} written within ${n(b.drainedMs)} ms using ` +
      `${n(b.hubspotRequests)} HubSpot requests (${n(b.batchUpdates)} batch updates, ${n(b.rateLimited429)} answered 429) — ` +
      `**${n(b.requestsPer100Companies)} HubSpot request(s) per 100 changed companies**.`,
  ];
}

function recompute(r) {
  return [
    "### Recompute (pure core)",
    "",
    `\`scoreCustomer\` in a Node process of its own, before any worker starts, over generated customer states (${n(r.distinctStates)} distinct, ${r.meanEventsPerCustomer} events and ${n(r.meanStateBytes)} B of state JSON each on average). Goal: 100,000 customers in ≤ ${r.goalSeconds} s.`,
    "",
    mdTable(
      ["measure", "customers/s", "100,000 customers", "within goal"],
      r.rows.map((x) => [x.name, n(x.perSecond), `${x.projected100kSeconds} s`, x.withinGoal ? "yes" : "no"]),
    ),
  ];
}

function bundle(r) {
  return [
    "### Bundle",
    "",
    `\`wrangler deploy --dry-run\`: ${n(r.rawKiB)} KiB raw, **${n(r.gzipKiB)} KiB gzipped** (goal ≤ ${n(r.goalGzipKiB)} KiB: ${r.withinGoal ? "met" : "not met"}).`,
  ];
}

export function renderMarkdown(results) {
  const m = results.machine;
  const parts = [
    "<!-- Generated by `npm run bench` (bench/run.mjs); numbers from one run, not thresholds. -->",
    "## Benchmarks",
    "",
    `Measured ${results.when.slice(0, 10)} on ${m.cpus} CPUs (${m.model}), ${m.memoryGiB} GiB, Node ${m.node}; ` +
      `load average ${m.loadAverageAtStart.join(" / ")} at the start and ${m.loadAverageAtEnd.join(" / ")} at the end. ` +
      "Load generator (autocannon), workers and fakes all share this machine. Reproduce with `npm run bench` (about 6 minutes, " +
      "plus about 8 for the scale part; `npm run bench -- --seconds 3 --only ingest` for a quick look, `npm run bench -- --only scale` for the scale part alone).",
    "",
  ];
  if (results.ingest) parts.push(...ingest(results.ingest, results.secondsPerLoadRow), "");
  if (results.pipeline) parts.push(...pipeline(results.pipeline), "");
  if (results.recompute) parts.push(...recompute(results.recompute), "");
  if (results.bundle) parts.push(...bundle(results.bundle), "");
  if (results.scale) parts.push(...scale(results.scale), "");
  return `${parts.join("\n").trimEnd()}\n`;
}
