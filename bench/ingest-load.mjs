// Ingest under load: N signed Stripe deliveries (each a new event) with a fixed number in flight against the
// real app (its events consumer running, as in `npm start`), then, without the sweeper ever firing, wait for
// the queue to drain and read the inbox. The same deliveries against the durable floor and verify-only give
// the ratios the ingest part reports. A benchmark: it reports figures, never passes or fails.
import { readFileSync } from "node:fs";
import { d1Query, percentile, round, sleep } from "./lib.mjs";
import { invoicePaid, signStripe } from "./stripe-bodies.mjs";

/** The replay: 400 accounts. */
const ACCOUNTS = 400;
/** The drain is given up when the inbox has not moved for this long (a stuck row stays `received`). */
const STALL_MS = 60_000;
const runId = Date.now().toString(36);

/** Sends `count` fresh signed deliveries to `url`, `inFlight` at a time; counts answers by class. */
async function fire({ url, secret, count, inFlight, prefix }) {
  const latencies = [];
  const codes = {};
  const runtimeErrorBodies = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const sender = async () => {
    while (next < count) {
      const n = next++;
      const body = invoicePaid(`evt_${prefix}_${runId}_${n}`, n % ACCOUNTS);
      const t0 = performance.now();
      try {
        const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", "stripe-signature": signStripe(body, secret) } });
        const text = await res.text();
        latencies.push(performance.now() - t0);
        codes[res.status] = (codes[res.status] ?? 0) + 1;
        if (res.status >= 500 && !(res.headers.get("content-type") ?? "").startsWith("application/json")) runtimeErrorBodies.push(text.slice(0, 200));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, sender));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const byClass = (c) => Object.entries(codes).filter(([k]) => k.startsWith(c)).reduce((n, [, v]) => n + v, 0);
  return {
    sent: count,
    inFlight,
    seconds: round(seconds, 1),
    ok2xx: byClass("2"),
    client4xx: byClass("4"),
    server5xx: byClass("5"),
    errors,
    statusCodes: codes,
    nonJson5xx: runtimeErrorBodies.length,
    firstNonJson5xx: runtimeErrorBodies[0] ?? null,
    acceptedPerSec: round(byClass("2") / seconds),
    p50Ms: round(percentile(latencies, 50), 1),
    p99Ms: round(percentile(latencies, 99), 1),
  };
}

/** Inbox rows of this run by status, and how many `received` ones no consumer has tried. */
function inboxCounts(persistTo) {
  const rows = d1Query(persistTo, "SELECT status, COUNT(*) AS n, SUM(attempts = 0) AS untried FROM inbox_events GROUP BY status");
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { by, untried: rows.find((r) => r.status === "received")?.untried ?? 0, total: rows.reduce((n, r) => n + r.n, 0) };
}

/** Polls the inbox until nothing is `received`, or until it stops moving for STALL_MS. */
async function drain(persistTo) {
  const started = Date.now();
  let last = inboxCounts(persistTo);
  let movedAt = Date.now();
  while ((last.by.received ?? 0) > 0 && Date.now() - movedAt < STALL_MS) {
    await sleep(2000);
    const now = inboxCounts(persistTo);
    if ((now.by.received ?? 0) !== (last.by.received ?? 0)) movedAt = Date.now();
    last = now;
  }
  return { ...last, drainedMs: Date.now() - started, stalled: (last.by.received ?? 0) > 0 };
}

/** Lines of the worker's log that name the failures the issue saw. */
function runtimeComplaints(logFile) {
  const log = readFileSync(logFile, "utf8");
  return {
    crossRequestIo: (log.match(/Cannot perform I\/O on behalf of a different request/g) ?? []).length,
    hung: (log.match(/code had hung/g) ?? []).length,
  };
}

/**
 * ctx: { app, durableFloor, verify, secret, persistTo, deliveries, inFlight }. `app` runs with its events
 * consumer and no cron; `durableFloor` and `verify` are the ingest part's baselines.
 */
export async function benchIngestLoad(ctx) {
  const { app, durableFloor, verify, secret, persistTo, deliveries, inFlight } = ctx;
  // Warm the isolates (JIT, D1 file) before measuring; the warm-up rows are counted like the others.
  const warm = 200;
  for (const [target, prefix] of [[verify, "warm_v"], [durableFloor, "warm_f"], [app, "warm_a"]]) {
    await fire({ url: `${target.url}/webhooks/stripe`, secret, count: warm, inFlight: 8, prefix });
  }
  const verifyOnly = await fire({ url: `${verify.url}/webhooks/stripe`, secret, count: deliveries, inFlight, prefix: "verify" });
  const floor = await fire({ url: `${durableFloor.url}/webhooks/stripe`, secret, count: deliveries, inFlight, prefix: "floor" });
  const load = await fire({ url: `${app.url}/webhooks/stripe`, secret, count: deliveries, inFlight, prefix: "app" });
  const inbox = await drain(persistTo);
  const health = await (await fetch(`${app.url}/health`)).json();
  const applied = (inbox.by.processed ?? 0) + (inbox.by.unmatched ?? 0) + (inbox.by.ignored ?? 0);
  return {
    deliveries,
    inFlight,
    app: load,
    durableFloor: floor,
    verifyOnly,
    inbox: {
      rows: inbox.total,
      expectedRows: deliveries + warm,
      applied,
      received: inbox.by.received ?? 0,
      receivedUntried: inbox.untried,
      failed: inbox.by.failed ?? 0,
      byStatus: inbox.by,
      drainedMs: inbox.drainedMs,
      stalled: inbox.stalled,
    },
    sweeper: health.sweeper ?? null,
    runtime: runtimeComplaints(app.logFile),
    appOverDurableFloor: round(load.acceptedPerSec / floor.acceptedPerSec, 3),
    durableFloorRatio: round(floor.acceptedPerSec / verifyOnly.acceptedPerSec, 3),
  };
}
