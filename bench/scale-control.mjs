// The memory control of the scale part: the app's sustained-load shape (same duration, same connections)
// against bench/durable-floor, a Worker with none of Tenure's pipeline (verify + the app's inbox insert into a
// migrated local D1; no router, queue, consumer or Durable Object). Its RSS growth is what the local runtime
// (workerd and its D1 simulator) grows by on its own under that load.
import autocannon from "autocannon";
import { round, sleep } from "./lib.mjs";
import { openD1, workerdRss } from "./scale-d1.mjs";
import { invoicePaid, signStripe } from "./stripe-bodies.mjs";
import { v8Heap } from "./v8-heap.mjs";

/** Signed Stripe invoice.paid deliveries, each a new event id `<prefix><seq>`, for `duration` s or `amount` requests. */
function stripeLoad(floor, { prefix, connections, duration, amount }) {
  let seq = 0;
  return autocannon({
    url: floor.url,
    connections,
    ...(amount ? { amount } : { duration }),
    method: "POST",
    timeout: 30,
    requests: [
      {
        setupRequest: (req) => {
          const i = seq++;
          const body = invoicePaid(`${prefix}${String(i).padStart(8, "0")}`, i % 1000);
          return { ...req, body, headers: { "content-type": "application/json", "stripe-signature": signStripe(body, floor.secret) } };
        },
      },
    ],
  });
}

/** The local D1 file's size in MiB (null when it cannot be read). */
async function d1FileMiB(persistTo) {
  try {
    const d1 = await openD1(persistTo);
    try {
      return { mib: round(d1.storage().fileBytes / 1048576, 1), inboxRows: d1.inbox().total };
    } finally {
      d1.close();
    }
  } catch {
    return { mib: null, inboxRows: null };
  }
}

/**
 * ctx: { startFloor() -> { url, pid, inspector, persistTo, secret, stop }, loadSeconds, amount, connections, warmup, phase }.
 * RSS right after start-up, after a warm-up of `warmup` requests, at the end of the load and 60 s after it. With
 * `amount` the load is that many deliveries (as many as the app accepted in its load, so both runtimes stored the
 * same number of rows; the floor takes them faster); without it, `loadSeconds` of them.
 */
export async function memoryControl({ startFloor, loadSeconds, amount, connections, warmup = 500, phase }) {
  const floor = await startFloor();
  try {
    const rssAtStart = workerdRss(floor.pid);
    const warm = await phase("control: warm-up", () => stripeLoad(floor, { prefix: "evt_ctl_w", connections, amount: warmup }));
    const heapBefore = await v8Heap(floor.inspector);
    const rssBefore = workerdRss(floor.pid);
    const fileBefore = await d1FileMiB(floor.persistTo);
    const loadStart = Date.now();
    const load = await phase("control: sustained load", () => stripeLoad(floor, { prefix: "evt_ctl_l", connections, ...(amount ? { amount } : { duration: loadSeconds }) }));
    const rssEnd = workerdRss(floor.pid);
    const loadEnd = Date.now();
    await phase("control: 60 s after", () => sleep(Math.max(0, 60_000 - (Date.now() - loadEnd))));
    const rssAfter = workerdRss(floor.pid);
    const heapAfter = await v8Heap(floor.inspector);
    const fileAfter = await d1FileMiB(floor.persistTo);
    const accepted = load["2xx"];
    const points = [["atStart", rssAtStart], ["beforeLoad", rssBefore], ["endOfLoad", rssEnd], ["after60s", rssAfter]];
    return {
      worker: "bench/durable-floor",
      body: "Stripe invoice.paid",
      loadSeconds: round((loadEnd - loadStart) / 1000, 1),
      deliveries: amount ?? null,
      connections,
      warmup: { requests: warm.requests.total, accepted: warm["2xx"] },
      accepted,
      acceptedPerSec: round(accepted / ((loadEnd - loadStart) / 1000), 0),
      failed: load.non2xx + load.errors + load.timeouts,
      statusCodes: Object.fromEntries(Object.entries(load.statusCodeStats).map(([k, v]) => [k, v.count])),
      errors: load.errors,
      timeouts: load.timeouts,
      // Rows in the control's inbox after the load: the warm-up's, every accepted delivery, and those still in
      // flight when the load's time ran out (answered after autocannon stopped counting).
      inboxRows: fileAfter.inboxRows,
      rssMiB: Object.fromEntries(points.map(([k, r]) => [k, r.mib])),
      rssSplitMiB: Object.fromEntries(points.map(([k, r]) => [k, { anon: r.anonMiB, file: r.fileMiB, shmem: r.shmemMiB }])),
      d1FileMiB: { beforeLoad: fileBefore.mib, after60s: fileAfter.mib },
      v8HeapMiB: heapBefore && heapAfter ? { beforeLoad: heapBefore, after60s: heapAfter } : null,
      growthMiB: { duringLoad: round(rssEnd.mib - rssBefore.mib, 1), after60s: round(rssAfter.mib - rssBefore.mib, 1) },
      workerdProcesses: rssEnd.pids.length,
    };
  } finally {
    await floor.stop();
  }
}
