// The scale part's figures as console tables, each beside its goal.
import { table } from "./lib.mjs";

const n = (x) => (x === null || x === undefined ? "–" : typeof x === "number" ? x.toLocaleString("en-US") : String(x));
const kib = (b) => (b === null || b === undefined ? "–" : `${n(Math.round(b / 102.4) / 10)} KiB`);

/** Rows of the bytes-per-table table: inside the window and after it. */
export function storageRows(q) {
  const after = new Map(q.past.byTable.map((t) => [t.table, t]));
  const names = [...new Set([...q.inside.byTable.map((t) => t.table), ...q.past.byTable.map((t) => t.table)])];
  return names
    .map((name) => {
      const a = q.inside.byTable.find((t) => t.table === name);
      const b = after.get(name);
      return [name, a?.rows ?? 0, a?.bytes ?? 0, b?.rows ?? 0, b?.bytes ?? 0];
    })
    .filter((r) => r[2] > 0 || r[4] > 0)
    .sort((x, y) => y[2] - x[2]);
}

/** The same rows with the tables that hold no row in either phase folded into one line (their pages are the empty schema's). */
export function storageRowsFolded(q) {
  const rows = storageRows(q);
  const kept = rows.filter((r) => r[1] > 0 || r[3] > 0);
  const empty = rows.filter((r) => !(r[1] > 0 || r[3] > 0));
  if (empty.length === 0) return kept;
  return [...kept, [`${empty.length} tables without rows`, 0, empty.reduce((n, r) => n + r[2], 0), 0, empty.reduce((n, r) => n + r[4], 0)]];
}

/** Dollars: cents for a dollar or more, four decimals below. */
export const usd = (x) => (x === null || x === undefined ? "–" : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`);

export function printScale(r) {
  console.log(`\nScale phases: ${r.phases.map((p) => `${p.name} ${p.seconds} s`).join("; ")}`);
  const q = r.quarter;
  console.log(`\nScale 1. Bytes kept per Segment track event: ${n(q.stored)} events, ${q.accounts} accounts × ${q.usersPerAccount} users, dated over ${q.spanDays} days`);
  console.log("   (bytes = SQLite pages each table and its indexes occupy in the local D1 file, dbstat pgsize; free pages excluded)");
  console.log(
    table(
      ["table", "rows (window)", "bytes (window)", "rows (past)", "bytes (past)"],
      storageRowsFolded(q).map(([t, ra, ba, rb, bb]) => [t, n(ra), n(ba), n(rb), n(bb)]),
    ),
  );
  console.log(
    table(
      ["measure", "bytes", "per event (above the empty schema)", "per event (whole file in use)", "goal"],
      [
        ["empty migrated database", n(q.emptyBytes), "–", "–", "–"],
        ["inside the dedupe window", n(q.inside.bytes), `${q.inside.bytesPerEvent} B`, `${q.inside.totalPerEvent} B`, "–"],
        [`past the window (daily run at +${q.past.pastWindowDays} d)`, n(q.past.bytes), `${q.past.bytesPerEvent} B`, `${q.past.totalPerEvent} B`, `≤ ${r.goals.bytesPerEventKept} B`],
      ],
    ),
  );
  console.log(`   inbox after the past-window run: ${JSON.stringify(q.past.inbox)}; file ${n(q.past.fileBytes)} B (${n(q.past.freeBytes)} B free pages)`);
  if (q.timeline) console.log(`   score_history: ${n(q.timeline.rows)} rows for ${q.timeline.customers} customers (${q.timeline.rowsPerCustomerDay} per customer per day of the span)`);
  const d = r.denseQuarter;
  if (d) {
    console.log(`\n   At the target's density: ${n(d.stored)} events for ${d.accounts} account × ${d.usersPerAccount} users over ${d.spanDays} days (${n(Math.round(d.stored / d.spanDays))} a day)`);
    console.log(
      table(
        ["measure", "bytes", "per event (above the empty schema)", "goal"],
        [
          ["inside the dedupe window", n(d.inside.bytes), `${d.inside.bytesPerEvent} B`, "–"],
          [`past the window (daily run at +${d.past.pastWindowDays} d)`, n(d.past.bytes), `${d.past.bytesPerEvent} B`, `≤ ${r.goals.bytesPerEventKept} B`],
        ],
      ),
    );
    console.log(table(["table", "rows (window)", "bytes (window)", "rows (past)", "bytes (past)"], storageRowsFolded(d).map(([t, ra, ba, rb, bb]) => [t, n(ra), n(ba), n(rb), n(bb)])));
  }

  const s = r.state;
  console.log(
    `\nScale 2. Largest per-customer row of one scoring step (goal ≤ ${kib(r.goals.largestRowBytes)}): pure core, ${n(s.account.users)} users × ${s.account.features} features × ${s.account.days} days` +
      ` (${n(s.distinctTriples)} distinct (user, feature, day) triples), ${n(s.account.tickets)} tickets, ${s.account.invoices} invoices, ${n(s.account.surveyResponses)} NPS responses`,
  );
  if (!s.account.complete) console.log(`   budget of ${s.buildSeconds.budget} s spent after ${s.account.daysApplied} of ${s.account.days} days: the figures below are a lower bound`);
  console.log(
    table(
      ["value", "bytes", "goal"],
      [
        ["JSON.stringify(state).length", n(s.stateBytes), `≤ ${n(r.goals.largestRowBytes)}`],
        ["health (score, drivers, snapshot)", n(s.healthBytes), `≤ ${n(r.goals.largestRowBytes)}`],
        [`app: state of a ${n(r.appAccount.users)}-user account (${n(r.appAccount.distinctTriplesSent)} triples sent)`, n(r.appAccount.stateBytes), `≤ ${n(r.goals.largestRowBytes)}`],
        ["app: its health", n(r.appAccount.healthBytes), `≤ ${n(r.goals.largestRowBytes)}`],
      ],
    ),
  );
  console.log(table(["state part", "bytes", "entries", "largest entry"], s.parts.map((p) => [p.path, n(p.bytes), n(p.entries), n(p.largestEntryBytes)])));
  console.log(`   usage applied at ${n(s.usageEventsPerSecond)} events/s; one step (parse, apply, score, serialize) ${s.stepMs} ms`);
  console.log(`   largest rows in the app's D1: ${r.appAccount.largestRows.map((x) => `${x.table} ${n(x.bytes)} B`).join(", ")}`);

  const t = r.trend;
  console.log(`\nScale 3. Trend after ${t.daysAgo} days of a flat score: d7/d30 defined: ${t.defined ? "yes" : "no"} (goal: yes) — trend ${JSON.stringify(t.trend)}, score ${n(t.score)}, ${t.historyPoints} history point(s)`);

  const st = r.stream;
  console.log(`\nScale 4. Events applied per second (${n(st.events)} signed Segment events per row; accounts created beforehand)`);
  console.log(
    table(
      ["row", "sent/s", "applied/s", "apply ms/event (consumer + shard alarms)", "apply ceiling /s", "events/batch", "consumer D1 calls/batch", "D1 statements/event", "D1 rows written/event"],
      st.rows.map((x) => [x.name, n(x.sentPerSec), n(x.appliedPerSec), x.consumerMsPerEvent, n(x.consumerCeilingPerSec), x.eventsPerConsumerBatch, x.consumerD1CallsPerBatch, x.d1StatementsPerEvent, x.d1RowsWrittenPerEvent]),
    ),
  );
  console.log(`   1 account ÷ 1,000 accounts, applied/s: ${st.oneOverMany} (consumer time per event, 1,000 ÷ 1: ${st.consumerOneOverMany})`);
  const w = writerAtTarget(st);
  if (w) console.log(`   the one D1 database at the target (${w.rate} events/s, each its own customer's step like the live 1,000-account row): ${w.statements} statements/s = ${w.share} % of ~1,000 queries/s; at 3× peak ${w.peakShare} %; top statements per event: ${w.top}`);
  console.log(`   dense window ÷ new account (interleaved halves after the load), applied/s: ${st.historyOverNew}; consumer time per event: ${st.consumerHistoryOverNew} (the dense account holds ${n(st.historyEventsBefore)} events in its 120 days; grows with the window's density, up to the state's caps)`);
  if (st.histories) {
    const h = st.histories;
    console.log(
      `   three years of history ÷ none, same window (${n(h.windowEvents)} events, ${h.users} users), consumer time per event: ${st.yearsOverWindow} (goal ≈ 1; applied/s ${st.yearsOverWindowApplied}); ` +
        `timelines ${n(h.withYears.points)} points over ${h.withYears.spanDays} days vs ${n(h.windowOnly.points)} over ${h.windowOnly.spanDays}; state ${n(h.withYears.stateBytes)} B vs ${n(h.windowOnly.stateBytes)} B`,
    );
  }

  const m = r.memory;
  console.log(`\nScale 5. workerd RSS under ${m.loadSeconds} s of sustained ingest (${n(m.accepted)} accepted, ${n(m.acceptedPerSec)}/s, ${m.failed} not accepted: ${JSON.stringify(m.statusCodes)}, ${m.errors} errors, ${m.timeouts} timeouts)`);
  const ctl = m.control;
  const rssRow = (name, x) => [name, ...[x.rssMiB.atStart, x.rssMiB.beforeLoad, x.rssMiB.endOfLoad, x.rssMiB.after60s, x.growthMiB.duringLoad, x.growthMiB.after60s].map((v) => `${v} MiB`)];
  console.log(
    table(
      ["workerd", "at start", "before load", "end of load", "60 s after", "growth (end)", "growth (60 s after)"],
      [rssRow("app", m), ...(ctl ? [rssRow("runtime-only control", ctl)] : [])],
    ),
  );
  if (m.rssSplitMiB) {
    const at = ["atStart", "beforeLoad", "endOfLoad", "after60s"];
    console.log(table(["app, by kind", "at start", "before load", "end of load", "60 s after"], ["anon", "file", "shmem"].map((k) => [k, ...at.map((p) => `${m.rssSplitMiB[p][k]} MiB`)])));
    console.log(`   anon = heaps (V8, SQLite's page cache, allocator arenas); file = mapped files. Local D1 file: ${m.d1FileMiB.beforeLoad} MiB before the load, ${m.d1FileMiB.after60s} MiB 60 s after.`);
    if (m.v8HeapMiB) console.log(`   V8 heap in use by the Worker isolate (the app's JavaScript objects and not yet collected garbage): ${m.v8HeapMiB.beforeLoad.usedMiB} MiB before the load, ${m.v8HeapMiB.after60s.usedMiB} MiB 60 s after it${liveHeap(m.v8HeapMiB)}.`);
  }
  if (m.perProcessMiB) console.log(`   per workerd process (MiB): before ${JSON.stringify(m.perProcessMiB.beforeLoad)}, end ${JSON.stringify(m.perProcessMiB.endOfLoad)}, 60 s after ${JSON.stringify(m.perProcessMiB.after60s)}`);
  console.log(`   backlog drained ${m.drained ? `${m.drainSecondsAfterLoad} s after the load ended` : "not within 6 minutes of the load's end"}; the load's inbox rows: ${JSON.stringify(m.inbox)}; events queue meanwhile: ${JSON.stringify(m.queue)}; sweeps fired in this app: ${r.sweeps?.streams ?? "–"}`);
  if (ctl) {
    console.log(
      `   runtime-only control: ${ctl.worker} (verify + the app's inbox insert into a migrated local D1; no queue, consumer or Durable Object), ` +
        `${ctl.deliveries ? `as many deliveries as the app accepted in its load (${n(ctl.deliveries)}) in ${ctl.loadSeconds} s` : `the same ${ctl.loadSeconds} s`} × ${ctl.connections} connections of signed ${ctl.body} deliveries after a ${n(ctl.warmup.requests)}-request warm-up: ` +
        `${n(ctl.accepted)} accepted, ${n(ctl.acceptedPerSec)}/s, ${ctl.failed} not accepted: ${JSON.stringify(ctl.statusCodes)}, ${ctl.errors} errors, ${ctl.timeouts} timeouts; ` +
        `anon ${ctl.rssSplitMiB.beforeLoad.anon} → ${ctl.rssSplitMiB.endOfLoad.anon} → ${ctl.rssSplitMiB.after60s.anon} MiB, file ${ctl.rssSplitMiB.beforeLoad.file} → ${ctl.rssSplitMiB.endOfLoad.file} → ${ctl.rssSplitMiB.after60s.file} MiB; ` +
        `local D1 file ${ctl.d1FileMiB.beforeLoad} → ${ctl.d1FileMiB.after60s} MiB` +
        (ctl.v8HeapMiB ? `; V8 heap in use ${ctl.v8HeapMiB.beforeLoad.usedMiB} → ${ctl.v8HeapMiB.after60s.usedMiB} MiB${liveHeap(ctl.v8HeapMiB)}` : ""),
    );
  }

  const c = r.cost;
  console.log(`\nScale 6. Cost per million events at list prices (ingest + scoring + retention, counted by the metered entry): ${usd(c.totalUsd)}`);
  console.log(table(["item", "per million events", "unit", "USD"], c.lines.map((l) => [l.item, n(l.quantity), l.unit, usd(l.usd)])));
  console.log(table(["D1 statement", "per event", "rows read / event", "rows written / event"], c.byStatement.map((x) => [x.statement, x.perEvent, x.rowsReadPerEvent, x.rowsWrittenPerEvent])));
  console.log(`   storage kept: ${c.storage.gbKeptPerMillion} GB per million events = ${usd(c.storage.usdPerMonthKept)} per month kept`);
  console.log(`   per event: ${JSON.stringify(c.perEvent)}; daily run per customer: ${JSON.stringify(r.dailyRunPerCustomer)}`);
}

/**
 * The D1 writer's load at docs/scale.md's target (10 million events a day, 116/s): the live 1,000-account row's
 * statements per event (an account sends one event every few minutes there, so each is its own step) against
 * Cloudflare's rough figure of 1 ms, about 1,000 queries/s, per database.
 */
export function writerAtTarget(st) {
  const row = st.rows.find((x) => x.live);
  if (!row) return null;
  const rate = 116;
  const statements = Math.round(row.d1StatementsPerEvent * rate);
  const top = Object.entries(row.d1StatementsByKind ?? {})
    .slice(0, 5)
    .map(([k, v]) => `${k} ${v.perEvent}`)
    .join(", ");
  return { rate, statements, share: Math.round(statements / 10), peakShare: Math.round((statements * 3) / 10), top };
}

/** The heap after a full collection (bench/v8-heap.mjs), when both readings have it. */
export function liveHeap(h) {
  const [a, b] = [h.beforeLoad.liveMiB, h.after60s.liveMiB];
  return a == null || b == null ? "" : `; after a full collection ${a} → ${b} MiB`;
}
