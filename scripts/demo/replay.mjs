// Sends the generated deliveries to the webhook endpoints, signed at send time, and waits for Tenure
// to apply them.
import { getJson } from "./server.mjs";

const WAVES = { 1: "CRM companies", 2: "billing and product identities", 3: "product usage, support, NPS, CRM contacts and deals", 4: "billing history" };

export function line(text) {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${text}`);
}

export function done(text) {
  if (process.stdout.isTTY) process.stdout.write("\r\x1b[2K");
  console.log(text);
}

/** Posts every delivery of one wave, `concurrency` at a time; returns counts per status and source. */
async function sendWave(m, deliveries, { base, concurrency, label }) {
  const tally = { ok: 0, duplicates: 0, failed: 0, bySource: {}, errors: [] };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const d = deliveries[next++];
      if (!d) return;
      const url = `${m.DEMO.publicUrl}/webhooks/${d.source}`;
      const headers = { "content-type": "application/json", ...(await m.signRequest(d.source, d.body, { url, now: Date.now(), secrets: m.DEMO.secrets })) };
      const res = await getJson(`${base}/webhooks/${d.source}`, { method: "POST", headers, body: d.body, timeoutMs: 30_000 });
      tally.bySource[d.source] = (tally.bySource[d.source] ?? 0) + 1;
      if (res?.status === 200) {
        tally.ok += 1;
        tally.duplicates += res.body?.duplicates ?? 0;
      } else {
        tally.failed += 1;
        if (tally.errors.length < 3) tally.errors.push(`${d.source} ${res?.status ?? "no answer"}: ${JSON.stringify(res?.body?.error ?? res?.body ?? "").slice(0, 300)}`);
      }
      const sent = tally.ok + tally.failed;
      if (sent % 25 === 0) line(`  ${label}: ${sent}/${deliveries.length} requests`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tally;
}

/**
 * Waits until no inbox row is waiting and the events queue is empty (the local queue consumes on its own; Segment's
 * deliveries wait on the queue with no inbox row until they are applied), three polls in a row.
 */
export async function waitApplied({ base, admin, label, timeoutMs = 180_000 }) {
  const started = Date.now();
  let quiet = 0;
  while (Date.now() - started < timeoutMs) {
    const res = await getJson(`${base}/api/events?status=received&limit=500`, { headers: admin });
    const health = await getJson(`${base}/health`, {});
    const events = health?.body?.queues?.events;
    const waiting = (res?.body?.events?.length ?? 0) + (events?.backlog ?? 0) + (events?.held ?? 0);
    quiet = waiting === 0 ? quiet + 1 : 0;
    if (quiet >= 3) return true;
    line(`  ${label}: ${waiting === 500 ? "500+" : waiting} events waiting to be applied`);
    await new Promise((r) => setTimeout(r, 400));
  }
  return false;
}

export async function replay(m, quarter, { base, admin, concurrency, beforeWave = async () => {} }) {
  const totals = { requests: 0, failed: 0, bySource: {} };
  for (const wave of [1, 2, 3, 4]) {
    await beforeWave(wave);
    const deliveries = quarter.deliveries.filter((d) => d.wave === wave);
    const label = `wave ${wave}/4 (${WAVES[wave]})`;
    const t0 = Date.now();
    const tally = await sendWave(m, deliveries, { base, concurrency, label });
    const applied = await waitApplied({ base, admin, label });
    done(`  ${label}: ${tally.ok} requests accepted${tally.failed ? `, ${tally.failed} refused` : ""} in ${((Date.now() - t0) / 1000).toFixed(1)} s${applied ? "" : " (still applying)"}`);
    for (const e of tally.errors) console.log(`    ! ${e}`);
    totals.requests += tally.ok;
    totals.failed += tally.failed;
    for (const [k, v] of Object.entries(tally.bySource)) totals.bySource[k] = (totals.bySource[k] ?? 0) + v;
  }
  return totals;
}
