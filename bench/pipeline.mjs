// Pipeline: webhook -> inbox -> queue -> score -> outbox -> HubSpot batch write, timed at a fake HubSpot.
import autocannon from "autocannon";
import { d1Query, percentile, round, sleep } from "./lib.mjs";
import { customerCreated, invoicePaid, signStripe } from "./stripe-bodies.mjs";

const runId = Date.now().toString(36);

function signed(body, secret) {
  return { body, headers: { "content-type": "application/json", "stripe-signature": signStripe(body, secret) } };
}

/** A customer linked to a new fake HubSpot company, and its first paid invoice: two deliveries. */
function companyDeliveries(fake, k, secret) {
  const companyId = fake.hub.addCompany({ name: `Bench Co ${k}`, domain: `bench-${k}.example` });
  return {
    companyId,
    deliveries: [
      signed(customerCreated(`evt_cc_${runId}_${k}`, k, companyId), secret),
      signed(invoicePaid(`evt_ip_${runId}_${k}`, k), secret),
    ],
  };
}

async function waitFor(check, timeoutMs, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(stepMs);
  }
  return check();
}

/** Waits until the fake has seen no request for `quietMs` (bounded by `timeoutMs`). */
async function settle(fake, quietMs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let seen = fake.hub.requests.length;
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    if (fake.hub.requests.length !== seen) {
      seen = fake.hub.requests.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** Spaced single companies: the latency of one change, not of a queue backlog. */
async function latency({ app, fake, secret, writes, samples, spacingMs }) {
  const started = new Map();
  for (let i = 0; i < samples; i++) {
    const { companyId, deliveries } = companyDeliveries(fake, 10_000 + i, secret);
    started.set(companyId, performance.now());
    for (const d of deliveries) {
      const res = await fetch(`${app.url}/webhooks/stripe`, { method: "POST", ...d });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    }
    await sleep(spacingMs);
  }
  await waitFor(() => [...started.keys()].every((id) => writes.has(id)), 60_000);
  const ms = [...started].filter(([id]) => writes.has(id)).map(([id, t0]) => writes.get(id) - t0).sort((a, b) => a - b);
  return { samples, written: ms.length, p50Ms: round(percentile(ms, 50)), p95Ms: round(percentile(ms, 95)), maxMs: round(ms.at(-1)) };
}

/** Many companies change at once: how many HubSpot requests does Tenure spend per 100 of them? */
async function burst({ app, fake, secret, writes, companies, persistTo }) {
  await settle(fake, 3000, 30_000);
  const ids = [];
  const all = [];
  for (let i = 0; i < companies; i++) {
    const { companyId, deliveries } = companyDeliveries(fake, 20_000 + i, secret);
    ids.push(companyId);
    all.push(...deliveries);
  }
  const firstRequest = fake.hub.requests.length;
  const t0 = performance.now();
  let next = 0;
  const r = await autocannon({
    url: `${app.url}/webhooks/stripe`,
    connections: 16,
    amount: all.length,
    method: "POST",
    timeout: 30,
    requests: [{ setupRequest: (req) => ({ ...req, ...all[next++ % all.length] }) }],
  });
  const sentMs = performance.now() - t0;
  await waitFor(() => ids.every((id) => writes.has(id)), 180_000, 250);
  const written = ids.filter((id) => writes.has(id));
  const drainedMs = written.length ? Math.max(...written.map((id) => writes.get(id))) - t0 : null;
  await settle(fake, 5000, 60_000);
  const reqs = fake.hub.requests.slice(firstRequest);
  const batchUpdates = reqs.filter((q) => q.path.endsWith("/batch/update"));
  const byEndpoint = {};
  for (const q of reqs) {
    const key = `${q.method} ${q.path.split("?")[0].replace(/\/\d+(?=\/|$)/g, "/{id}")} ${q.status}`;
    byEndpoint[key] = (byEndpoint[key] ?? 0) + 1;
  }
  // When some company was never written, say where its action stands rather than only counting it.
  const outbox = written.length < companies ? d1Query(persistTo, "SELECT type, status, attempts, last_error, COUNT(*) AS n FROM outbox GROUP BY 1, 2, 3, 4") : undefined;
  return {
    companies,
    webhooks: all.length,
    webhookNon2xx: r.non2xx + r.errors + r.timeouts,
    sentMs: round(sentMs),
    written: written.length,
    drainedMs: round(drainedMs),
    hubspotRequests: reqs.length,
    batchUpdates: batchUpdates.length,
    rateLimited429: reqs.filter((q) => q.status === 429).length,
    otherRequests: reqs.length - batchUpdates.length,
    requestsPer100Companies: written.length ? round((reqs.length / written.length) * 100, 1) : null,
    byEndpoint,
    ...(outbox ? { unwrittenOutbox: outbox } : {}),
  };
}

/** ctx: { app, fake, secret, persistTo, writes: Map(companyId -> first write time), samples, burstCompanies }. */
export async function benchPipeline(ctx) {
  const lat = await latency({ ...ctx, spacingMs: 300 });
  const b = await burst({ ...ctx, companies: ctx.burstCompanies });
  return { latency: lat, burst: b };
}
