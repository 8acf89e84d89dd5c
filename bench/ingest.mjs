// Ingest: signed Stripe invoice.paid deliveries against the real app and the verify-only baseline,
// side by side, plus the reject paths (bad signature, oversize body) and proof they store nothing.
import autocannon from "autocannon";
import { d1Query, round, sleep } from "./lib.mjs";
import { invoicePaid, signStripe } from "./stripe-bodies.mjs";

const CUSTOMERS = 500;
const OVERSIZE_BYTES = 300 * 1024;
let seq = 0;
const runId = Date.now().toString(36);

/** One autocannon run; every request is built (and signed) as it is sent. Without `build`, a bare GET. */
export async function load({ url, connections, seconds, build }) {
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    method: build ? "POST" : "GET",
    timeout: 30,
    ...(build ? { requests: [{ setupRequest: (req) => ({ ...req, ...build() }) }] } : {}),
  });
  return {
    connections,
    seconds: r.duration,
    requests: r.requests.total,
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    ratePerSec: round(r["2xx"] / r.duration, 0),
    attemptedPerSec: round(r.requests.total / r.duration, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])),
  };
}

/** A new, correctly signed invoice.paid delivery (a new durable insert each time). */
function freshDelivery(secret) {
  const n = ++seq;
  const body = invoicePaid(`evt_bench_${runId}_${n}`, n % CUSTOMERS);
  return { body, headers: { "content-type": "application/json", "stripe-signature": signStripe(body, secret) } };
}

/** The same kind of body, signed with a secret Tenure does not have. */
function forgedDelivery() {
  const n = ++seq;
  const body = invoicePaid(`evt_forged_${runId}_${n}`, n % CUSTOMERS);
  return { body, headers: { "content-type": "application/json", "stripe-signature": signStripe(body, "whsec_not_the_secret") } };
}

/** A 300 KiB body, validly signed: refused for its size before anything else. */
function oversizeDelivery(secret) {
  const n = ++seq;
  const ev = JSON.parse(invoicePaid(`evt_big_${runId}_${n}`, n % CUSTOMERS));
  const base = JSON.stringify(ev);
  ev.data.object.description = "x".repeat(OVERSIZE_BYTES - base.length);
  const body = JSON.stringify(ev);
  return { body, headers: { "content-type": "application/json", "stripe-signature": signStripe(body, secret) } };
}

/** Exact row count, read from the local D1 file of the running app. */
function countInbox(persistTo) {
  return d1Query(persistTo, "SELECT COUNT(*) AS n FROM inbox_events")[0].n;
}

/** The newest inbox rows as the admin API lists them (a new insert would show up first). */
async function newestEvents(app, adminToken) {
  const res = await fetch(`${app.url}/api/events?limit=500`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (res.status !== 200) throw new Error(`admin API answered ${res.status}`);
  const { events } = await res.json();
  return events.map((e) => e.id);
}

async function storageSnapshot(app, ctx) {
  return { rows: countInbox(ctx.persistTo), newest: await newestEvents(app, ctx.adminToken) };
}

/**
 * ctx: { app, ingestOnly, verify, durableFloor, secret, adminToken, persistTo, seconds, levels }. `ingestOnly` is
 * the app without its events consumer: the same ingest path, with scoring not competing for the same thread.
 * `durableFloor` is verify-only plus the app's inbox insert and nothing else: the least a durable accept costs.
 * Returns the accepted-path rows (app and baseline per level) and the reject-path rows.
 */
export async function benchIngest(ctx) {
  const { app, ingestOnly, verify, durableFloor, secret, seconds, levels } = ctx;
  const appUrl = `${app.url}/webhooks/stripe`;
  const verifyUrl = `${verify.url}/webhooks/stripe`;
  const build = () => freshDelivery(secret);

  // Warm both isolates (JIT, D1 file, queue consumer) before measuring.
  await load({ url: verifyUrl, connections: 4, seconds: 2, build });
  await load({ url: appUrl, connections: 4, seconds: 2, build });
  await load({ url: `${ingestOnly.url}/webhooks/stripe`, connections: 4, seconds: 2, build });
  await load({ url: `${durableFloor.url}/webhooks/stripe`, connections: 4, seconds: 2, build });

  const accepted = [];
  for (const connections of levels) {
    // The floor: the same worker answering a bare GET with 405, i.e. what the local harness itself costs.
    const floor = await load({ url: verifyUrl, connections, seconds: Math.max(2, Math.round(seconds / 2)) });
    const baseline = await load({ url: verifyUrl, connections, seconds, build });
    await sleep(500);
    const real = await load({ url: appUrl, connections, seconds, build });
    await sleep(500);
    const detached = await load({ url: `${ingestOnly.url}/webhooks/stripe`, connections, seconds, build });
    await sleep(500);
    const floorDurable = await load({ url: `${durableFloor.url}/webhooks/stripe`, connections, seconds, build });
    accepted.push({
      connections,
      app: real,
      ingestOnly: detached,
      verifyOnly: baseline,
      floor,
      ratio: round(real.ratePerSec / baseline.ratePerSec, 3),
      ingestOnlyRatio: round(detached.ratePerSec / baseline.ratePerSec, 3),
      durableFloor: floorDurable,
      durableFloorRatio: round(floorDurable.ratePerSec / baseline.ratePerSec, 3),
      appOverDurableFloor: round(real.ratePerSec / floorDurable.ratePerSec, 3),
    });
    await sleep(1000);
  }

  // Let the queue consumer finish what ingest enqueued, so the counts below move only by inserts.
  await sleep(3000);
  const before = await storageSnapshot(app, ctx);
  const rejectSeconds = Math.max(3, Math.round(seconds / 2));
  const badSignature = await load({ url: appUrl, connections: 8, seconds: rejectSeconds, build: forgedDelivery });
  const afterBad = await storageSnapshot(app, ctx);
  const oversize = await load({ url: appUrl, connections: 8, seconds: rejectSeconds, build: () => oversizeDelivery(secret) });
  const afterBig = await storageSnapshot(app, ctx);
  const same = (a, b) => a.rows === b.rows && a.newest.join() === b.newest.join();
  const rejects = [
    { path: "bad signature (401)", ...badSignature, rowsBefore: before.rows, rowsAfter: afterBad.rows, storageUntouched: same(before, afterBad) },
    { path: `oversize ${OVERSIZE_BYTES / 1024} KiB (413)`, ...oversize, rowsBefore: afterBad.rows, rowsAfter: afterBig.rows, storageUntouched: same(afterBad, afterBig) },
  ];
  return { accepted, rejects, bodyBytes: Buffer.byteLength(freshDelivery(secret).body) };
}
