// Scale: bytes kept per event, the largest per-customer row, the trend after a quiet stretch, events
// applied per second by spread and history, workerd memory under sustained load, and the cost per million
// events from counted operations. Everything runs against the real app (wrangler dev, local D1 + queues)
// wrapped by bench/metered/index.ts, except the 10,000-user state, which is built by the pure core.
import autocannon from "autocannon";
import { v8Heap } from "./v8-heap.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root, round, sleep } from "./lib.mjs";
import { memoryControl } from "./scale-control.mjs";
import { openD1, poll, workerdRss } from "./scale-d1.mjs";
import { FEATURES, groupBody, identifyBody, prng, signSegment, trackBody } from "./segment-bodies.mjs";

const DAY = 86_400_000;
export const GOALS = { bytesPerEventKept: 50, largestRowBytes: 256 * 1024 };
/** Connections of the sustained load (the app's and the runtime-only control's). */
const LOAD_CONNECTIONS = 8;
/** The history rows: users per account, facts in each 120-day window, facts in the three years before one of them. */
const HIST_USERS = 300;
const HIST_WINDOW_EVENTS = 5000;
const HIST_OLD_EVENTS = 2000;
const HIST_DAYS = 3 * 365;

/** Cloudflare Workers Paid list prices (USD), as published in 2026; docs/scale.md cites them. */
export const PRICES = {
  workersPerMillionRequests: 0.3,
  d1PerMillionRowsRead: 0.001,
  d1PerMillionRowsWritten: 1.0,
  d1StoragePerGBMonth: 0.75,
  queuesPerMillionOps: 0.4,
  doPerMillionRequests: 0.15,
  doPerMillionGBs: 12.5,
  /** Durable Objects are billed for duration at 128 MB per object. */
  doGB: 0.125,
};

function crons() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  return /^crons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1]?.match(/"([^"]+)"/g)?.map((s) => s.slice(1, -1)) ?? [];
}

/** The daily cron expression in wrangler.toml (the one that is not every few minutes). */
function dailyCron() {
  return crons().find((c) => !c.startsWith("*/")) ?? "17 3 * * *";
}

/**
 * `wrangler dev` fires no cron by itself; a deployment runs the sweeper every few minutes (it re-enqueues
 * events committed but never applied, e.g. after a lost enqueue). The benchmark fires it on the same schedule.
 */
function startSweeper(app) {
  const cron = crons().find((c) => c.startsWith("*/")) ?? "*/2 * * * *";
  const everyMs = Number(/^\*\/(\d+) /.exec(cron)?.[1] ?? 2) * 60_000;
  let fired = 0;
  const timer = setInterval(() => void fireCron(app, cron, Date.now()).then(() => fired++, () => {}), everyMs);
  return { stop: () => clearInterval(timer), fired: () => fired };
}

async function fireCron(app, cron, timeMs) {
  const res = await fetch(`${app.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}&time=${timeMs}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`scheduled handler answered ${res.status}: ${text}`);
}

async function meter(app) {
  const res = await fetch(`${app.url}/__bench/meter`);
  if (res.status !== 200) throw new Error(`meter answered ${res.status}`);
  const m = await res.json();
  app.boot ??= m.boot;
  if (m.boot !== app.boot) throw new Error("the Worker restarted during the measurement (its counts started again from zero); run again");
  return m;
}

/** b − a for every number in the counts (objects recursively; keys missing on one side count as 0). */
function minus(b, a) {
  if (typeof b === "number") return b - (typeof a === "number" ? a : 0);
  const out = {};
  for (const k of new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])) {
    if (k === "at" || k === "boot" || k === "lastActivityAt" || k === "inFlight") continue;
    const bv = b?.[k] ?? (typeof a?.[k] === "number" ? 0 : {});
    out[k] = minus(bv, a?.[k]);
  }
  return out;
}

function plus(a, b, clampB = false) {
  if (typeof a === "number" || typeof b === "number") return (a ?? 0) + (clampB ? Math.max(0, b ?? 0) : (b ?? 0));
  const out = {};
  for (const k of new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])) out[k] = plus(a?.[k], b?.[k], clampB);
  return out;
}

const sum = (xs) => xs.reduce((n, x) => n + x, 0);
/** D1 round trips of the webhook path: each request's commit of its inbox rows. */
const ingestCalls = (c) => sum(Object.entries(c.d1?.callsBy ?? {}).filter(([k]) => /INSERT inbox_events$/.test(k)).map(([, v]) => v));
/** The events queue's consumer figures (the queue whose name says events, not its dead letters). */
/**
 * Time spent applying events: the events consumer's invocations (which wait for the shards' answers) and the time
 * the account shards' alarms ran (src/shard/hold.ts; while one or more ran, not their sum: they run at once).
 */
const applyMs = (consumer, counts) => consumer.wallMs + (counts.durableObjects?.alarmBusyMs ?? 0);
const eventsConsumer = (c) => Object.entries(c.consumed ?? {}).find(([q]) => /events/.test(q) && !/dlq/.test(q))?.[1] ?? { invocations: 0, messages: 0, wallMs: 0 };

/**
 * Waits until the Worker has been idle for `quietMs` (no invocation in flight or begun, and the inbox row
 * count unchanged), which is when paged queue jobs (the daily recompute, the inbox retention) are done.
 */
async function settle(app, d1, { quietMs = 5000, timeoutMs = 300_000 } = {}) {
  const t0 = Date.now();
  let rows = d1.inbox().total;
  let rowsSince = Date.now();
  for (;;) {
    await sleep(500);
    const m = await meter(app);
    const now = Date.now();
    const r = d1.inbox().total;
    if (r !== rows) (rows = r), (rowsSince = now);
    if (m.inFlight === 0 && now - m.lastActivityAt >= quietMs && now - rowsSince >= quietMs) return { settledMs: now - t0, timedOut: false };
    if (now - t0 > timeoutMs) return { settledMs: now - t0, timedOut: true };
  }
}

/** Sends every delivery once (signed, pre-built) through `connections` connections. */
async function sendAll(app, deliveries, connections = 16) {
  let next = 0;
  const t0 = performance.now();
  const r = await autocannon({
    url: `${app.url}/webhooks/segment`,
    connections: Math.min(connections, deliveries.length),
    amount: deliveries.length,
    method: "POST",
    timeout: 30,
    requests: [{ setupRequest: (req) => ({ ...req, ...deliveries[next++ % deliveries.length] }) }],
  });
  return { sent: r.requests.total, ok: r["2xx"], failed: r.non2xx + r.errors + r.timeouts, seconds: (performance.now() - t0) / 1000 };
}

const idRange = (prefix) => [`segment:${prefix}`, `segment:${prefix}\uffff`];

/** Sends deliveries whose message ids start with `prefix`, then waits until every stored one has been applied. */
async function sendAndApply(app, d1, prefix, deliveries, { connections = 16, timeoutMs = 600_000 } = {}) {
  const before = await meter(app);
  const t0 = performance.now();
  const sent = await sendAll(app, deliveries, connections);
  const done = await poll(
    () => {
      const s = d1.inbox(idRange(prefix));
      return s.total >= sent.ok && !s.received ? s : null;
    },
    { timeoutMs, everyMs: 50 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const after = await meter(app);
  return { sent, seconds, statuses: done ?? d1.inbox(idRange(prefix)), applied: Boolean(done), counts: minus(after, before) };
}

const signed = (body, secret) => ({ body, headers: signSegment(body, secret) });

// 1. Bytes kept per Segment track event, over a simulated quarter.
async function quarter({ app, secret, accounts, usersPerAccount, events, pastWindowDays, prefix = "q" }) {
  const d1 = await openD1(app.persistTo);
  try {
    const rand = prng(90);
    const now = Date.now();
    const deliveries = [];
    for (let i = 0; i < events; i++) {
      const a = Math.floor(rand() * accounts);
      const u = Math.floor(rand() * usersPerAccount);
      const at = now - Math.floor(rand() * 90 * DAY) - 60_000;
      deliveries.push(signed(trackBody({ messageId: `${prefix}-${String(i).padStart(6, "0")}`, account: `${prefix === "q" ? "quarter" : "dense"}-${a}`, user: `u${a}-${u}`, feature: FEATURES[Math.floor(rand() * FEATURES.length)], at }), secret));
    }
    const empty = d1.storage();
    const ingest = await sendAndApply(app, d1, `${prefix}-`, deliveries, { connections: 16 });
    const stored = ingest.statuses.total;
    await settle(app, d1, { quietMs: 6000 });
    const inside = d1.storage();
    const customers = d1.get("SELECT COUNT(*) AS n FROM customers").n;

    // A daily run today: nothing is past any window yet; what it costs is per customer, not per event.
    const cron = dailyCron();
    const m0 = await meter(app);
    await fireCron(app, cron, Date.now());
    const dailyToday = await settle(app, d1);
    const m1 = await meter(app);
    // Then one past the window: the retention deletes processed rows; wait until the inbox stops shrinking.
    const pastWindowAt = Date.now() + pastWindowDays * DAY;
    await fireCron(app, cron, pastWindowAt);
    const dailyPast = await settle(app, d1);
    const m2 = await meter(app);
    const past = d1.storage();
    const inboxAfter = d1.inbox();
    const daily = minus(m1, m0);
    const pastRun = minus(m2, m1);
    // Per event: ingest + scoring, plus what the past-window run did beyond an ordinary daily run (the retention).
    const lifecycle = plus(ingest.counts, minus(pastRun, daily), true);
    const timeline = d1.tables().includes("score_history") ? d1.get("SELECT COUNT(*) AS n, COUNT(DISTINCT customer_id) AS c FROM score_history") : null;
    // What the overview and GET /api/metrics read of every customer in one query (customersSql in src/store/metrics.ts).
    const metricsRead = d1.get(
      `SELECT AVG(b) AS avg, MAX(b) AS largest FROM (SELECT 24 + length(id) + IFNULL(length(name), 0)
         + IFNULL(length(json_extract(health, '$.snapshot.segments')), 0) + IFNULL(length(json_extract(state, '$.billing.subscriptions')), 0)
         + IFNULL(length(json_extract(state, '$.billing.invoices')), 0) + IFNULL(length(json_extract(state, '$.sentiment.responses')), 0)
         + IFNULL(length(json_extract(state, '$.usage.events')), 0) + IFNULL(length((SELECT json_group_array(key) FROM json_each(customers.state, '$.usage.days'))), 0)
         + IFNULL(length(json_extract(state, '$.support.tickets')), 0) + IFNULL(length(json_extract(state, '$.support.closed')), 0) AS b FROM customers)`,
    );
    return {
      accounts,
      usersPerAccount,
      events,
      stored,
      customers,
      spanDays: 90,
      ingest: { seconds: round(ingest.seconds, 1), failed: ingest.sent.failed, applied: ingest.applied, statuses: ingest.statuses },
      // The migrated, empty database (a page per table and index) is a fixed cost per database, not per event.
      emptyBytes: empty.bytes,
      inside: { ...inside, bytesPerEvent: round((inside.bytes - empty.bytes) / stored, 1), totalPerEvent: round(inside.bytes / stored, 1) },
      past: { ...past, bytesPerEvent: round((past.bytes - empty.bytes) / stored, 1), totalPerEvent: round(past.bytes / stored, 1), inbox: inboxAfter, cronTime: new Date(pastWindowAt).toISOString(), pastWindowDays },
      perCustomer: {
        customersRowBytes: round((inside.byTable.find((t) => t.table === "customers")?.bytes ?? 0) / Math.max(1, customers), 0),
        // The inbox and the applied carried deliveries' ids (with their indexes): what dedupes inside the window.
        inboxBytesPerEventInWindow: round(inside.byTable.filter((t) => t.table === "inbox_events" || t.table === "applied_deliveries").reduce((n, t) => n + t.bytes, 0) / stored, 1),
      },
      settle: { todayMs: dailyToday.settledMs, todayTimedOut: dailyToday.timedOut, pastMs: dailyPast.settledMs, pastTimedOut: dailyPast.timedOut },
      timeline: timeline && { rows: timeline.n, customers: timeline.c, rowsPerCustomerDay: round(timeline.n / Math.max(1, customers) / 90, 2) },
      metricsRead: { bytesPerCustomer: Math.round(metricsRead?.avg ?? 0), largest: metricsRead?.largest ?? 0 },
      // Kept in the results: an ordinary daily run, and the per-event lifecycle the cost is computed from.
      counts: { dailyRun: daily, lifecycle },
    };
  } finally {
    d1.close();
  }
}

/** Per million events, at list prices, from counted operations (and the storage kept per event, per month). */
export function costPerMillion(counts, events, bytesPerEventKept) {
  const k = 1e6 / events;
  const inv = counts.invocations ?? {};
  const requests = ((inv.fetch ?? 0) + (inv.queue ?? 0) + (inv.scheduled ?? 0)) * k;
  const written = sum(Object.values(counts.sent ?? {}).map((s) => s.ops ?? 0)) * k;
  const read = sum(Object.values(counts.consumed ?? {}).map((c) => c.readOps ?? 0)) * k;
  const deleted = sum(Object.values(counts.consumed ?? {}).map((c) => c.deleteOps ?? 0)) * k;
  const rowsRead = (counts.d1?.rowsRead ?? 0) * k;
  const rowsWritten = (counts.d1?.rowsWritten ?? 0) * k;
  const doRequests = (counts.durableObjects?.requests ?? 0) * k;
  const doGBs = ((counts.durableObjects?.wallMs ?? 0) / 1000) * PRICES.doGB * k;
  const storageGB = (bytesPerEventKept * 1e6) / 1e9;
  const lines = [
    { item: "Workers requests (webhooks, queue and cron invocations)", quantity: requests, unit: "requests", usd: (requests / 1e6) * PRICES.workersPerMillionRequests },
    { item: "D1 rows read", quantity: rowsRead, unit: "rows", usd: (rowsRead / 1e6) * PRICES.d1PerMillionRowsRead },
    { item: "D1 rows written", quantity: rowsWritten, unit: "rows", usd: (rowsWritten / 1e6) * PRICES.d1PerMillionRowsWritten },
    { item: "Queue operations (write + read + delete, per 64 KB)", quantity: written + read + deleted, unit: "ops", usd: ((written + read + deleted) / 1e6) * PRICES.queuesPerMillionOps },
    { item: "Durable Object requests", quantity: doRequests, unit: "requests", usd: (doRequests / 1e6) * PRICES.doPerMillionRequests },
    { item: "Durable Object duration (128 MB × wall time of calls)", quantity: doGBs, unit: "GB-s", usd: (doGBs / 1e6) * PRICES.doPerMillionGBs },
  ].map((l) => ({ ...l, quantity: round(l.quantity, l.quantity < 100 ? 2 : 0), usd: round(l.usd, 4) }));
  const byStatement = Object.entries(counts.d1?.byStatement ?? {})
    .map(([statement, x]) => ({ statement, perEvent: round(x.statements / events, 3), rowsReadPerEvent: round(x.rowsRead / events, 2), rowsWrittenPerEvent: round(x.rowsWritten / events, 2) }))
    .sort((a, b) => b.rowsWrittenPerEvent - a.rowsWrittenPerEvent || b.rowsReadPerEvent - a.rowsReadPerEvent);
  return {
    lines,
    byStatement: byStatement.slice(0, 12),
    totalUsd: round(sum(lines.map((l) => l.usd)), 4),
    storage: { gbKeptPerMillion: round(storageGB, 4), usdPerMonthKept: round(storageGB * PRICES.d1StoragePerGBMonth, 4) },
    perEvent: { d1RowsRead: round(rowsRead / 1e6, 2), d1RowsWritten: round(rowsWritten / 1e6, 2), d1Statements: round(((counts.d1?.statements ?? 0) * k) / 1e6, 2), queueOps: round((written + read + deleted) / 1e6, 2), requests: round(requests / 1e6, 3) },
  };
}

// 3. Trend after a quiet stretch.
async function trendAfterQuiet({ app, d1, secret, adminToken, daysAgo = 65 }) {
  const at = Date.now() - daysAgo * DAY;
  const account = "trend-quiet";
  const deliveries = [signed(groupBody({ messageId: "t-group", account, user: "t-1", at, seats: 5 }), secret), signed(identifyBody({ messageId: "t-identify", account, user: "t-1", at: at + 1000 }), secret)];
  for (let i = 0; i < 6; i++) deliveries.push(signed(trackBody({ messageId: `t-track-${i}`, account, user: `t-${1 + (i % 3)}`, feature: FEATURES[i % FEATURES.length], at: at + 60_000 * (i + 1) }), secret));
  const sent = await sendAndApply(app, d1, "t-", deliveries, { connections: 1 });
  const customerId = d1.get(`SELECT customer_id FROM identities WHERE kind = 'segment_group' AND value = ?`, account)?.customer_id;
  if (!customerId) throw new Error("the trend customer was not created");
  await settle(app, d1, { quietMs: 4000 });
  await fireCron(app, dailyCron(), Date.now());
  await settle(app, d1);
  const res = await fetch(`${app.url}/api/customers/${customerId}`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (res.status !== 200) throw new Error(`GET /api/customers/${customerId} answered ${res.status}`);
  const body = await res.json();
  const trend = body.health?.trend ?? null;
  const history = d1.all(`SELECT at, score FROM score_history WHERE customer_id = ? ORDER BY at`, customerId);
  return {
    daysAgo,
    deliveries: deliveries.length,
    applied: sent.applied,
    score: body.health?.score ?? null,
    trend,
    defined: trend !== null && trend.d7 !== null && trend.d7 !== undefined && trend.d30 !== null && trend.d30 !== undefined,
    historyPoints: history.length,
    firstHistoryDaysAgo: history.length ? round((Date.now() - history[0].at) / DAY, 1) : null,
  };
}

/**
 * `n` track events over the last `days` days for the account `accountOf(i)`, each from one of `users` users,
 * named by `userOf(account, k)`.
 */
function trackStream({ prefix, n, accountOf, users, days, secret, seed, userOf = (_account, k) => `u${k}`, agoDays = 0 }) {
  const rand = prng(seed);
  const now = Date.now();
  const out = [];
  for (let i = 0; i < n; i++) {
    const at = now - Math.floor((agoDays + rand() * days) * DAY) - 60_000;
    const account = accountOf(i);
    const user = userOf(account, Math.floor(rand() * users));
    out.push(signed(trackBody({ messageId: `${prefix}${String(i).padStart(7, "0")}`, account, user, feature: FEATURES[Math.floor(rand() * FEATURES.length)], at }), secret));
  }
  return out;
}

/** Two measured halves as one run: events, times and counts added. */
function joinRuns(a, b) {
  const statuses = { ...a.statuses };
  for (const [k, v] of Object.entries(b.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    sent: { sent: a.sent.sent + b.sent.sent, ok: a.sent.ok + b.sent.ok, failed: a.sent.failed + b.sent.failed, seconds: a.sent.seconds + b.sent.seconds },
    seconds: a.seconds + b.seconds,
    statuses,
    applied: a.applied && b.applied,
    counts: plus(a.counts, b.counts),
  };
}

function streamRow(name, accounts, r) {
  const c = eventsConsumer(r.counts);
  const applied = (r.statuses.processed ?? 0) + (r.statuses.unmatched ?? 0) + (r.statuses.ignored ?? 0);
  return {
    name,
    accounts,
    events: r.sent.ok,
    applied,
    sendSeconds: round(r.sent.seconds, 2),
    sentPerSec: round(r.sent.ok / r.sent.seconds, 0),
    seconds: round(r.seconds, 2),
    appliedPerSec: round(applied / r.seconds, 0),
    // The consumer's wall time (it waits for the shards' answers) and the shards' alarms, which apply what they held.
    consumerMsPerEvent: c.messages ? round(applyMs(c, r.counts) / c.messages, 3) : null,
    consumerCeilingPerSec: c.messages && c.wallMs ? round((c.messages / applyMs(c, r.counts)) * 1000, 0) : null,
    shardAlarms: r.counts.durableObjects?.alarms ?? 0,
    consumerInvocations: c.invocations,
    eventsPerConsumerBatch: c.invocations ? round(c.messages / c.invocations, 1) : null,
    d1CallsPerEvent: round((r.counts.d1?.calls ?? 0) / Math.max(1, r.sent.ok), 3),
    // Round trips of everything but ingest's inbox commits (the consumer's, nearly all), per consumer batch.
    consumerD1CallsPerBatch: c.invocations ? round(((r.counts.d1?.calls ?? 0) - ingestCalls(r.counts)) / c.invocations, 1) : null,
    d1StatementsPerEvent: round((r.counts.d1?.statements ?? 0) / Math.max(1, r.sent.ok), 2),
    d1RowsReadPerEvent: round((r.counts.d1?.rowsRead ?? 0) / Math.max(1, r.sent.ok), 2),
    d1RowsWrittenPerEvent: round((r.counts.d1?.rowsWritten ?? 0) / Math.max(1, r.sent.ok), 2),
    // Where the statements go: the ten most frequent kinds, per event.
    d1StatementsByKind: Object.fromEntries(
      Object.entries(r.counts.d1?.byStatement ?? {})
        .sort((a, b) => b[1].statements - a[1].statements)
        .slice(0, 10)
        .map(([k, v]) => [k, { perEvent: round(v.statements / Math.max(1, r.sent.ok), 3), rowsWrittenPerEvent: round(v.rowsWritten / Math.max(1, r.sent.ok), 2) }]),
    ),
  };
}

/** Items 3, 4, 5 and the app side of 2, on one app. */
async function streams({ app, secret, adminToken, n, loadSeconds, loadUsers, untimedUntil, phase }) {
  const d1 = await openD1(app.persistTo);
  try {
    const trend = await phase("trend", () => trendAfterQuiet({ app, d1, secret, adminToken }));
    const rssAtStart = workerdRss(app.pid);

    // Accounts exist before they are timed, so the rates compare applying events, not creating customers.
    const now = Date.now();
    const groups = [signed(groupBody({ messageId: "g-solo", account: "solo", user: "u0", at: now - 121 * DAY }), secret), signed(groupBody({ messageId: "g-solo-after", account: "solo-after", user: "u0", at: now - 121 * DAY }), secret), signed(groupBody({ messageId: "g-big", account: "big", user: "u0", at: now - 121 * DAY, seats: loadUsers }), secret)];
    for (const account of ["hist-a", "hist-b"]) groups.push(signed(groupBody({ messageId: `g-${account}`, account, user: `${account}-u0`, at: now - 121 * DAY }), secret));
    for (let k = 0; k < 1000; k++) groups.push(signed(groupBody({ messageId: `g-m${String(k).padStart(4, "0")}`, account: `many-${k}`, user: `many-${k}-u0`, at: now - 121 * DAY }), secret));
    await phase("accounts", async () => (await sendAndApply(app, d1, "g-", groups, { connections: 16 }), await settle(app, d1, { quietMs: 4000 })));
    // Timed phases from here: the pure-core build (another process) must be done, so the CPUs are the app's.
    await phase("waiting for the pure-core build", () => untimedUntil);

    // Dated over the last 120 days (a backfill's shape), or over the last hour (live traffic, the target's shape).
    const timed = (name, prefix, accountOf, seed, shape = {}) =>
      phase(name, async () => {
        const r = await sendAndApply(app, d1, prefix, trackStream({ prefix, n, accountOf, users: loadUsers, days: 120, secret, seed, ...shape }), { connections: 16 });
        await settle(app, d1, { quietMs: 4000 });
        return r;
      });
    // The 1,000 small accounts have three users each, of their own; the one account, `loadUsers`.
    const small = { users: 3, userOf: (account, k) => `${account}-u${k}` };
    const one = await timed("stream: 1 account", "s1-", () => "solo", 1);
    const many = await timed("stream: 1,000 accounts", "sm-", (i) => `many-${i % 1000}`, 2, small);
    const manyLive = await timed("stream: 1,000 accounts, live", "sl-", (i) => `many-${i % 1000}`, 3, { ...small, days: 1 / 24 });

    // 5. Sustained ingest into one account of `loadUsers` users (which also gives it a long history).
    const heapBefore = await v8Heap(app.inspector);
    const rssBefore = workerdRss(app.pid);
    const d1FileBefore = round(d1.storage().fileBytes / 1048576, 1);
    const meterBeforeLoad = await meter(app);
    const rand = prng(5);
    const loadStart = Date.now();
    let seq = 0;
    const triples = new Set();
    const load = await phase("sustained load", () => autocannon({
      url: `${app.url}/webhooks/segment`,
      connections: LOAD_CONNECTIONS,
      duration: loadSeconds,
      method: "POST",
      timeout: 30,
      requests: [
        {
          setupRequest: (req) => {
            const user = `u${Math.floor(rand() * loadUsers)}`;
            const feature = FEATURES[Math.floor(rand() * FEATURES.length)];
            const at = loadStart - Math.floor(rand() * 120 * DAY) - 60_000;
            triples.add(`${user}|${feature}|${Math.floor(at / DAY)}`);
            const body = trackBody({ messageId: `l-${String(seq++).padStart(8, "0")}`, account: "big", user, feature, at });
            return { ...req, body, headers: signSegment(body, secret) };
          },
        },
      ],
    }));
    const rssEnd = workerdRss(app.pid);
    const loadEnd = Date.now();
    const loadAccepted = load["2xx"];
    // 60 s after the load, whether or not the backlog has drained by then (noting when it did).
    let drainedAt = null;
    // Carried deliveries (QUEUE_CARRIED_SOURCES) have a row only once applied: drained when every accepted one has one.
    const drained = () => {
      const s = d1.inbox(idRange("l-"));
      return s.total >= loadAccepted && !s.received;
    };
    while (Date.now() - loadEnd < 60_000) {
      if (drainedAt === null && drained()) drainedAt = Date.now();
      await sleep(250);
    }
    const rssAfter = workerdRss(app.pid);
    const heapAfter = await v8Heap(app.inspector);
    if (drainedAt === null && (await poll(drained, { timeoutMs: 300_000, everyMs: 250 }))) drainedAt = Date.now();
    const drainSeconds = drainedAt === null ? null : (drainedAt - loadEnd) / 1000;
    const loadStatuses = d1.inbox(idRange("l-"));
    const loadCounts = minus(await meter(app), meterBeforeLoad);
    const loadConsumer = eventsConsumer(loadCounts);
    await settle(app, d1, { quietMs: 4000 });

    // The same stream into the account the load filled (a dense window), then into a new account right after it
    // (so both run on the runtime as the load left it), then compared.
    // Interleaved halves (dense, new, dense, new), so drift in the runtime over the run weighs on both alike.
    const half = Math.ceil(n / 2);
    const runHalf = (name, prefix, account, seed, users = { users: loadUsers }) =>
      phase(name, async () => {
        const r = await sendAndApply(app, d1, prefix, trackStream({ prefix, n: half, accountOf: () => account, days: 120, secret, seed, ...users }), { connections: 16 });
        await settle(app, d1, { quietMs: 4000 });
        return r;
      });
    const h1 = await runHalf("stream: dense window (1/2)", "sha-", "big", 11);
    const f1 = await runHalf("stream: new account (1/2)", "s2a-", "solo-after", 11);
    const h2 = await runHalf("stream: dense window (2/2)", "shb-", "big", 12);
    const f2 = await runHalf("stream: new account (2/2)", "s2b-", "solo-after", 12);
    const history = joinRuns(h1, h2);
    const fresh = joinRuns(f1, f2);

    // History apart from density: two accounts get the same window of facts (same users, features and days), then
    // one of them also three years of facts before its window (kept as its timeline), then the same stream goes
    // into both, in interleaved halves. Per-event cost should not depend on how long the history is.
    const histUsers = { users: HIST_USERS, userOf: (account, k) => `${account}-u${k}` };
    await phase("history: two equal windows", async () => {
      for (const [prefix, account] of [["hwa-", "hist-a"], ["hwb-", "hist-b"]]) {
        await sendAndApply(app, d1, prefix, trackStream({ prefix, n: HIST_WINDOW_EVENTS, accountOf: () => account, days: 120, secret, seed: 21, ...histUsers }), { connections: 16 });
      }
      await settle(app, d1, { quietMs: 4000 });
    });
    await phase("history: three years before one window", async () => {
      const old = trackStream({ prefix: "hold-", n: HIST_OLD_EVENTS, accountOf: () => "hist-b", days: HIST_DAYS - 121, agoDays: 121, secret, seed: 22, ...histUsers });
      await sendAndApply(app, d1, "hold-", old, { connections: 16 });
      await settle(app, d1, { quietMs: 8000 });
    });
    const a1 = await runHalf("stream: window only (1/2)", "hsa-", "hist-a", 31, histUsers);
    const b1 = await runHalf("stream: window and three years (1/2)", "hsb-", "hist-b", 31, histUsers);
    const a2 = await runHalf("stream: window only (2/2)", "hta-", "hist-a", 32, histUsers);
    const b2 = await runHalf("stream: window and three years (2/2)", "htb-", "hist-b", 32, histUsers);
    const windowOnly = joinRuns(a1, a2);
    const withYears = joinRuns(b1, b2);
    const timelineOf = (account) => {
      const id = d1.get(`SELECT customer_id FROM identities WHERE kind = 'segment_group' AND value = ?`, account)?.customer_id;
      const t = d1.get(`SELECT COUNT(*) AS n, MIN(at) AS first FROM score_history WHERE customer_id = ?`, id);
      const state = d1.get(`SELECT length(state) AS bytes FROM customers WHERE id = ?`, id);
      return { points: t?.n ?? 0, spanDays: t?.first ? round((Date.now() - t.first) / DAY, 0) : 0, stateBytes: state?.bytes ?? null };
    };

    // 2, through the app: the big account's customers row.
    const bigId = d1.get(`SELECT customer_id FROM identities WHERE kind = 'segment_group' AND value = 'big'`)?.customer_id;
    const cols = new Set(d1.all(`SELECT name FROM pragma_table_info('customers')`).map((r) => r.name));
    const len = (c) => (cols.has(c) ? `length(${c})` : "NULL");
    const row = d1.get(`SELECT ${len("state")} AS state, ${len("health")} AS health, ${len("alerts")} AS alerts FROM customers WHERE id = ?`, bigId);
    const bigEvents = d1.inbox(idRange("l-")).total + d1.inbox(idRange("sha-")).total + d1.inbox(idRange("shb-")).total;

    const rows = [
      streamRow("1 account, new", 1, one),
      streamRow("1,000 accounts", 1000, many),
      streamRow("1 account, dense window (after the load)", 1, history),
      streamRow("1 account, new (interleaved with it)", 1, fresh),
      { ...streamRow("1,000 accounts, live (dated the last hour)", 1000, manyLive), live: true },
      streamRow("1 account, 120-day window only", 1, windowOnly),
      streamRow("1 account, same window and three years before it (interleaved)", 1, withYears),
    ];
    return {
      trend,
      stream: {
        events: n,
        rows,
        oneOverMany: round(rows[0].appliedPerSec / rows[1].appliedPerSec, 2),
        consumerOneOverMany: rows[0].consumerMsPerEvent && rows[1].consumerMsPerEvent ? round(rows[1].consumerMsPerEvent / rows[0].consumerMsPerEvent, 2) : null,
        historyOverNew: round(rows[2].appliedPerSec / rows[3].appliedPerSec, 2),
        consumerHistoryOverNew: rows[3].consumerMsPerEvent && rows[2].consumerMsPerEvent ? round(rows[2].consumerMsPerEvent / rows[3].consumerMsPerEvent, 2) : null,
        historyEventsBefore: bigEvents - rows[2].events,
        // The history figure: the same window, with and without three years before it.
        yearsOverWindow: rows[5].consumerMsPerEvent && rows[6].consumerMsPerEvent ? round(rows[6].consumerMsPerEvent / rows[5].consumerMsPerEvent, 2) : null,
        yearsOverWindowApplied: round(rows[5].appliedPerSec / rows[6].appliedPerSec, 2),
        histories: { windowOnly: timelineOf("hist-a"), withYears: timelineOf("hist-b"), users: HIST_USERS, windowEvents: HIST_WINDOW_EVENTS, oldEvents: HIST_OLD_EVENTS, days: HIST_DAYS },
      },
      memory: {
        loadSeconds,
        connections: LOAD_CONNECTIONS,
        accepted: loadAccepted,
        acceptedPerSec: round(loadAccepted / loadSeconds, 0),
        failed: load.non2xx + load.errors + load.timeouts,
        statusCodes: Object.fromEntries(Object.entries(load.statusCodeStats).map(([k, v]) => [k, v.count])),
        errors: load.errors,
        timeouts: load.timeouts,
        drained: drainedAt !== null,
        inbox: loadStatuses,
        // From the start of the load until its backlog drained: messages the app put on the events queue (a
        // sweep's re-enqueues included) and deliveries its consumer received (retries included).
        queue: {
          enqueued: sum(Object.entries(loadCounts.sent ?? {}).filter(([b]) => /event/i.test(b)).map(([, x]) => x.messages)),
          delivered: loadConsumer.messages,
          retried: loadConsumer.retried ?? 0,
          consumerMsPerEvent: loadConsumer.messages ? round(applyMs(loadConsumer, loadCounts) / loadConsumer.messages, 3) : null,
        },
        drainSecondsAfterLoad: round(drainSeconds, 0),
        rssMiB: { atStart: rssAtStart.mib, beforeLoad: rssBefore.mib, endOfLoad: rssEnd.mib, after60s: rssAfter.mib },
        // The same four points split by kind (anon = heaps; file = mapped files), and the local D1 file's size.
        rssSplitMiB: Object.fromEntries(
          [["atStart", rssAtStart], ["beforeLoad", rssBefore], ["endOfLoad", rssEnd], ["after60s", rssAfter]].map(([k, r]) => [k, { anon: r.anonMiB, file: r.fileMiB, shmem: r.shmemMiB }]),
        ),
        d1FileMiB: { beforeLoad: d1FileBefore, after60s: round(d1.storage().fileBytes / 1048576, 1) },
        // The isolate's V8 heap in use (null when the inspector did not answer).
        v8HeapMiB: heapBefore && heapAfter ? { beforeLoad: heapBefore, after60s: heapAfter } : null,
        growthMiB: { duringLoad: round(rssEnd.mib - rssBefore.mib, 1), after60s: round(rssAfter.mib - rssBefore.mib, 1) },
        workerdProcesses: rssEnd.pids.length,
        perProcessMiB: { beforeLoad: rssBefore.perProcessMiB, endOfLoad: rssEnd.perProcessMiB, after60s: rssAfter.perProcessMiB },
      },
      appAccount: {
        users: loadUsers,
        events: bigEvents,
        distinctTriplesSent: triples.size,
        stateBytes: row?.state ?? null,
        healthBytes: row?.health ?? null,
        alertsBytes: row?.alerts ?? null,
        largestRows: d1.largestRows().slice(0, 6),
      },
    };
  } finally {
    d1.close();
  }
}

/**
 * ctx: { start(name) -> app { url, pid, persistTo, stop }, secret, adminToken, loadSeconds, streamEvents,
 * quarter: { accounts, usersPerAccount, events }, denseQuarter (the same at the target's density, or null),
 * pastWindowDays, state: Promise<pure-core result>, startFloor (optional): () -> the durable-floor worker
 * { url, pid, inspector, persistTo, secret, stop }, for the memory control }.
 */
export async function benchScale(ctx) {
  const phases = [];
  const phase = async (name, run) => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      phases.push({ name, seconds: round((performance.now() - t0) / 1000, 1) });
      if (process.env.BENCH_TRACE) console.error(`scale: ${name} ${phases.at(-1).seconds} s`);
    }
  };
  // The storage simulation measures bytes and counts, not time: the pure-core build runs beside it.
  const qApp = await ctx.start("scale-quarter");
  const qSweeper = startSweeper(qApp);
  const q = await phase("quarter (storage, daily runs)", () => quarter({ app: qApp, secret: ctx.secret, ...ctx.quarter, pastWindowDays: ctx.pastWindowDays }));
  qSweeper.stop();
  await qApp.stop();
  // The same measurement at the target's density (200 events per account per day, scale target in docs/scale.md):
  // what is kept per account is amortised over the events an account really sends.
  let dense = null;
  if (ctx.denseQuarter) {
    const dApp = await ctx.start("scale-dense");
    const dSweeper = startSweeper(dApp);
    dense = await phase("quarter at the target density", () => quarter({ app: dApp, secret: ctx.secret, ...ctx.denseQuarter, pastWindowDays: ctx.pastWindowDays, prefix: "d" }));
    dSweeper.stop();
    await dApp.stop();
  }
  const sApp = await ctx.start("scale-streams");
  const sSweeper = startSweeper(sApp);
  const s = await streams({ app: sApp, secret: ctx.secret, adminToken: ctx.adminToken, n: ctx.streamEvents, loadSeconds: ctx.loadSeconds, loadUsers: 1000, untimedUntil: ctx.state, phase });
  sSweeper.stop();
  await sApp.stop();
  // The runtime-only control, with the app stopped (nothing else on the CPUs).
  // As many deliveries as the app took before its load (the accounts and the two timed streams), then as many as
  // it accepted during it: the same rows stored, so the two growths compare.
  const control = ctx.startFloor
    ? await memoryControl({ startFloor: ctx.startFloor, loadSeconds: ctx.loadSeconds, amount: s.memory.accepted, warmup: 1003 + 2 * ctx.streamEvents, connections: s.memory.connections, phase })
    : null;
  const state = await ctx.state;
  return {
    phases,
    sweeps: { quarter: qSweeper.fired(), streams: sSweeper.fired() },
    goals: GOALS,
    prices: PRICES,
    quarter: q,
    denseQuarter: dense,
    cost: costPerMillion(q.counts.lifecycle, q.stored, q.past.bytesPerEvent),
    dailyRunPerCustomer: {
      d1RowsRead: round((q.counts.dailyRun.d1?.rowsRead ?? 0) / q.customers, 1),
      d1RowsWritten: round((q.counts.dailyRun.d1?.rowsWritten ?? 0) / q.customers, 1),
      d1Statements: round((q.counts.dailyRun.d1?.statements ?? 0) / q.customers, 1),
      queueMessages: round(sum(Object.values(q.counts.dailyRun.sent ?? {}).map((x) => x.messages)) / q.customers, 2),
    },
    state,
    ...s,
    memory: { ...s.memory, control },
  };
}
