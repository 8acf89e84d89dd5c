// The scale part of bench/RESULTS.md (and the README's benchmark section).
import { mdTable } from "./lib.mjs";
import { liveHeap, storageRowsFolded, usd, writerAtTarget } from "./scale-print.mjs";

const n = (x) => (x === null || x === undefined ? "–" : typeof x === "number" ? x.toLocaleString("en-US") : String(x));
const kib = (b) => (b === null || b === undefined ? "–" : `${n(Math.round(b / 102.4) / 10)} KiB`);
const yes = (b) => (b ? "yes" : "no");

function when(r) {
  const m = r.machine;
  const date = (r.measured?.when ?? "").slice(0, 10);
  return m
    ? `Measured ${date} on its own (\`npm run bench -- --only scale\`), ${m.cpus} CPUs (${m.model}), Node ${m.node}, load average ${m.loadAverageAtStart.join(" / ")} at the start and ${r.measured?.loadAverageAtEnd?.join(" / ") ?? "–"} at the end.`
    : `Measured ${date} in the same run.`;
}

const signed = (x) => (x === null || x === undefined ? "–" : x >= 0 ? `+${x}` : String(x));

/** The memory paragraph's runtime-only control: the same load shape against bench/durable-floor. */
function controlSentence(m) {
  const c = m.control;
  return (
    `Runtime-only control, with the app stopped: ${c.deliveries ? `as many deliveries as the app accepted in its load (${n(c.deliveries)}, ${c.loadSeconds} s at ${c.connections} connections)` : `the same load shape (${c.loadSeconds} s, ${c.connections} connections)`} of signed Stripe \`invoice.paid\` deliveries, each a new event id, ` +
    `against \`bench/durable-floor\` (signature check plus the app's inbox insert into a migrated local D1; no router, queue, consumer or Durable Object), after a ${n(c.warmup.requests)}-request warm-up: ` +
    `${n(c.accepted)} accepted (${n(c.acceptedPerSec)}/s, ${c.failed} failed); RSS ${c.rssMiB.atStart} MiB after start-up, ${c.rssMiB.beforeLoad} → ${c.rssMiB.endOfLoad} → ${c.rssMiB.after60s} MiB (60 s after), ` +
    `${signed(c.growthMiB.duringLoad)} MiB during the load and ${signed(c.growthMiB.after60s)} MiB 60 s after, against the app's ${signed(m.growthMiB.duringLoad)} and ${signed(m.growthMiB.after60s)} MiB; ` +
    `anon ${c.rssSplitMiB.beforeLoad.anon} → ${c.rssSplitMiB.endOfLoad.anon} → ${c.rssSplitMiB.after60s.anon} MiB, file ${c.rssSplitMiB.beforeLoad.file} → ${c.rssSplitMiB.endOfLoad.file} → ${c.rssSplitMiB.after60s.file} MiB; ` +
    `its local D1 file grew from ${c.d1FileMiB.beforeLoad} to ${c.d1FileMiB.after60s} MiB` +
    (c.v8HeapMiB ? ` and its V8 heap in use from ${c.v8HeapMiB.beforeLoad.usedMiB} to ${c.v8HeapMiB.after60s.usedMiB} MiB${liveHeap(c.v8HeapMiB)}. ` : ". ")
  );
}

export function scale(r) {
  const q = r.quarter;
  const s = r.state;
  const a = r.appAccount;
  const st = r.stream;
  const writer = writerAtTarget(st);
  const m = r.memory;
  const c = r.cost;
  const goalRow = r.goals.largestRowBytes;
  const stateNote = s.account.complete ? "" : ` (lower bound: ${s.account.daysApplied} of ${s.account.days} days applied within ${s.buildSeconds.budget} s)`;
  return [
    "### Scale (bytes, row sizes, trend, throughput by spread, memory, cost)",
    "",
    `${when(r)} The app runs under \`wrangler dev\` through \`bench/metered/index.ts\`, which wraps its bindings with ` +
      "`bench/metered/usage-meter.ts` to count D1 rows (each result's `meta.rows_read` / `rows_written`), queue operations, Durable Object " +
      "requests and invocations. Storage is read from the local D1 file with SQLite (`dbstat`: the pages each table and its indexes occupy). " +
      "Model and method: [docs/scale.md](docs/scale.md).",
    "",
    mdTable(
      ["figure", "measured", "goal", "met"],
      [
        [`Bytes kept per Segment \`track\` event past the dedupe window (daily run at +${q.past.pastWindowDays} d)`, `**${q.past.bytesPerEvent} B** (inside the window ${q.inside.bytesPerEvent} B)`, `≤ ${r.goals.bytesPerEventKept} B`, yes(q.past.bytesPerEvent <= r.goals.bytesPerEventKept)],
        ...(r.denseQuarter
          ? [[`Same at the target's density: 1 account, ${n(r.denseQuarter.stored)} events over ${r.denseQuarter.spanDays} days (${n(Math.round(r.denseQuarter.stored / r.denseQuarter.spanDays))} a day)`, `**${r.denseQuarter.past.bytesPerEvent} B** (inside the window ${r.denseQuarter.inside.bytesPerEvent} B)`, `≤ ${r.goals.bytesPerEventKept} B`, yes(r.denseQuarter.past.bytesPerEvent <= r.goals.bytesPerEventKept)]]
          : []),
        [`Largest per-customer row, ${n(s.account.users)}-user account (pure core)`, `**${kib(s.largestRowBytes)}**${stateNote}`, `≤ ${kib(goalRow)}`, yes(s.withinGoal)],
        [`Same, ${n(a.users)}-user account through the app (\`length(state)\`)`, kib(a.stateBytes), `≤ ${kib(goalRow)}`, yes(a.stateBytes !== null && a.stateBytes <= goalRow)],
        [`Trend d7/d30 defined after ${r.trend.daysAgo} days of a flat score`, `**${yes(r.trend.defined)}** (${JSON.stringify(r.trend.trend)})`, "yes", yes(r.trend.defined)],
        ["Events-consumer time per event, 1,000 accounts ÷ 1 account", `${st.consumerOneOverMany} (applied/s 1 ÷ 1,000: ${st.oneOverMany})`, "–", "–"],
        ...(st.histories
          ? [
              [
                `Events-consumer time per event, the same 120-day window with three years of history before it ÷ without (${n(st.histories.withYears.points)} vs ${n(st.histories.windowOnly.points)} timeline points), interleaved`,
                `**${st.yearsOverWindow}** (applied/s: ${st.yearsOverWindowApplied})`,
                "≈ 1",
                yes(st.yearsOverWindow !== null && st.yearsOverWindow <= 1.25),
              ],
            ]
          : []),
        [`Events-consumer time per event, a dense window (${n(st.historyEventsBefore)} events in 120 days) ÷ a new account, interleaved`, `${st.consumerHistoryOverNew} (applied/s: ${st.historyOverNew})`, "bounded by the state's caps", "–"],
        [
          `workerd RSS, ${m.loadSeconds} s sustained ingest`,
          `${m.rssMiB.beforeLoad} → ${m.rssMiB.endOfLoad} → ${m.rssMiB.after60s} MiB (60 s after)` +
            (m.control ? `; app ${signed(m.growthMiB.duringLoad)} MiB during the load, runtime-only control ${signed(m.control.growthMiB.duringLoad)} MiB` : ""),
          "–",
          "–",
        ],
        ["Cost per million events at list prices (storage per month kept)", `**${usd(c.totalUsd)}** (+ ${usd(c.storage.usdPerMonthKept)})`, "–", "–"],
      ],
    ),
    "",
    `**1. Storage.** ${n(q.stored)} signed Segment \`track\` webhooks (${q.accounts} accounts × ${q.usersPerAccount} users, dated over the last ${q.spanDays} days), ` +
      `each applied; then a daily run today and one at +${q.past.pastWindowDays} days, each waited for until the Worker was idle and the inbox had stopped shrinking. ` +
      `Per event = bytes above the empty migrated database (${n(q.emptyBytes)} B, one page per table and index) ÷ events; the whole file in use is ` +
      `${q.inside.totalPerEvent} B / ${q.past.totalPerEvent} B per event. Inbox after the past-window run: ${n(q.past.inbox.total)} rows. ` +
      `What stays after the window is per account and per account-day (customer rows, contacts, timeline), so the per-event figure falls as events ` +
      `per account rise: here ${n(Math.round(q.stored / q.accounts))} per account in all` +
      (r.denseQuarter
        ? `; measured at the target's density (one account, ${n(r.denseQuarter.stored)} events over the quarter, ${r.denseQuarter.usersPerAccount} users) it is ${r.denseQuarter.past.bytesPerEvent} B per event past the window (${n(r.denseQuarter.past.bytes - r.denseQuarter.emptyBytes)} B kept in all).`
        : "; at 200 per account per day it is a few bytes (docs/scale.md).") +
      (q.timeline ? ` Timeline: ${n(q.timeline.rows)} score_history rows for ${q.timeline.customers} customers (${q.timeline.rowsPerCustomerDay} per customer per day).` : "") +
      metricsReadText(q, r.denseQuarter),
    "",
    mdTable(["table", "rows (window)", "bytes (window)", "rows (past)", "bytes (past)"], storageRowsFolded(q).map(([t, ra, ba, rb, bb]) => [t, n(ra), n(ba), n(rb), n(bb)])),
    "",
    `**2. Per-customer row.** Pure core: ${n(s.account.users)} users × ${s.account.features} features × ${s.account.days} days = ${n(s.distinctTriples)} distinct (user, feature, day) ` +
      `triples applied as \`usage.tracked\` events (the state aggregates per day and feature, so distinct triples, not raw event counts, are what it can keep), ` +
      `${n(s.account.tickets)} tickets over three years (${n(s.account.ticketEvents)} \`ticket.changed\` events), ${s.account.invoices} monthly invoices, ${n(s.account.surveyResponses)} NPS responses. ` +
      `State ${n(s.stateBytes)} B, health ${n(s.healthBytes)} B; one step (parse, apply, score, serialize) ${s.stepMs} ms. Through the app: a ${n(a.users)}-user account after ` +
      `${n(a.events)} events (${n(a.distinctTriplesSent)} distinct triples): state ${n(a.stateBytes)} B, health ${n(a.healthBytes)} B.`,
    "",
    mdTable(["state part (pure core)", "bytes", "entries", "largest entry"], s.parts.slice(0, 8).map((p) => [`\`${p.path}\``, n(p.bytes), n(p.entries), n(p.largestEntryBytes)])),
    "",
    `**3. Trend.** One customer's facts dated ${r.trend.daysAgo} days ago, nothing since, a daily run, then \`GET /api/customers/:id\`: ` +
      `\`health.trend\` = \`${JSON.stringify(r.trend.trend)}\`, ${r.trend.historyPoints} score_history point(s).`,
    "",
    `**4. Events applied per second.** ${n(st.events)} signed Segment events per row, 16 connections, accounts created beforehand; time from the first send until every stored event was applied. ` +
      "The consumer columns time the events queue's consumer invocations themselves (wall time until their last I/O): when `applied/s` equals `sent/s`, ingest was the limit and the consumer's ceiling is the comparable figure. " +
      "The dense-window and new-account rows are each two halves, run interleaved after the load, and so are the two history rows (the same window of facts in both accounts, three years before it in one). Consumer D1 calls are round trips other than ingest's inbox commits, per consumer batch: on Workers each is a network round trip to the database.",
    "",
    mdTable(
      ["row", "sent/s", "applied/s", "apply ms/event (consumer + shard alarms)", "apply ceiling /s", "events/batch", "consumer D1 calls/batch", "D1 statements/event", "D1 rows written/event"],
      st.rows.map((x) => [x.name, n(x.sentPerSec), n(x.appliedPerSec), x.consumerMsPerEvent, n(x.consumerCeilingPerSec), x.eventsPerConsumerBatch, x.consumerD1CallsPerBatch, x.d1StatementsPerEvent, x.d1RowsWrittenPerEvent]),
    ),
    "",
    ...(writer
      ? [
          `The one D1 database at the target (${writer.rate} events/s, each its own customer's step as in the live 1,000-account row): ` +
            `**${n(writer.statements)} statements/s, ${writer.share} %** of Cloudflare's rough 1,000 queries/s per database, ${writer.peakShare} % at a 3× peak ` +
            `(most frequent per event: ${writer.top}). See docs/scale.md, "Where events are serialized".`,
          "",
        ]
      : []),
    `**5. Memory.** Resident memory (VmRSS) of the workerd process(es) under \`wrangler dev\`: ${m.rssMiB.atStart} MiB after start-up, ${m.rssMiB.beforeLoad} MiB before the load, ` +
      `${m.rssMiB.endOfLoad} MiB at the end of ${m.loadSeconds} s of sustained ingest (${n(m.accepted)} events, ${n(m.acceptedPerSec)}/s, ${m.failed} failed, into one ${n(a.users)}-user account), ` +
      `${m.rssMiB.after60s} MiB 60 s later; the backlog ${m.drained ? `drained ${m.drainSecondsAfterLoad} s after the load ended` : "had not drained"}` +
      (m.queue ? ` (events queue meanwhile: ${n(m.queue.enqueued)} messages sent, ${n(m.queue.delivered)} delivered to the consumer, ${n(m.queue.retried)} retried)` : "") +
      `. The benchmark fires the sweeper cron every 2 minutes, as a deployment does (\`wrangler dev\` fires no cron by itself). ` +
      (m.rssSplitMiB
        ? `Split by kind (anon = heaps: V8, SQLite's page cache, allocator arenas; file = mapped files): anon ${m.rssSplitMiB.beforeLoad.anon} → ${m.rssSplitMiB.endOfLoad.anon} → ${m.rssSplitMiB.after60s.anon} MiB, ` +
          `file ${m.rssSplitMiB.beforeLoad.file} → ${m.rssSplitMiB.endOfLoad.file} → ${m.rssSplitMiB.after60s.file} MiB; the local D1 file grew from ${m.d1FileMiB.beforeLoad} to ${m.d1FileMiB.after60s} MiB. ` +
          (m.v8HeapMiB ? `The Worker isolate's V8 heap in use (Tenure's own JavaScript objects, its maps and caches, plus garbage not yet collected): ${m.v8HeapMiB.beforeLoad.usedMiB} MiB before the load, ${m.v8HeapMiB.after60s.usedMiB} MiB 60 s after${liveHeap(m.v8HeapMiB)}. ` : "")
        : "") +
      (m.control ? controlSentence(m) : "") +
      "`--load-seconds 600` runs the 10-minute load.",
    "",
    `**6. Cost per million events** (ingest + scoring + the retention's share of the past-window daily run, counted; Workers Paid list prices, 2026; CPU time not included):`,
    "",
    mdTable(["item", "per million events", "USD"], [...c.lines.map((l) => [l.item, `${n(l.quantity)} ${l.unit}`, usd(l.usd)]), ["**total**", "", `**${usd(c.totalUsd)}**`]]),
    "",
    "Where the D1 rows go (per event; D1 counts every index entry a statement writes):",
    "",
    mdTable(["statement", "per event", "rows read / event", "rows written / event"], c.byStatement.slice(0, 8).map((x) => [`\`${x.statement}\``, x.perEvent, x.rowsReadPerEvent, x.rowsWrittenPerEvent])),
    "",
    `Storage: ${c.storage.gbKeptPerMillion} GB kept per million events = ${usd(c.storage.usdPerMonthKept)} per month kept. A daily run costs, per customer, ` +
      `${r.dailyRunPerCustomer.d1RowsRead} rows read, ${r.dailyRunPerCustomer.d1RowsWritten} rows written, ${r.dailyRunPerCustomer.d1Statements} D1 statements.`,
  ];
}

/** What the portfolio pages read per customer in one query, and how many such customers fit one D1 result (50 MB). */
function metricsReadText(q, d) {
  const m = d?.metricsRead ?? q.metricsRead;
  if (!m?.bytesPerCustomer) return "";
  const fit = Math.floor(50e6 / m.bytesPerCustomer);
  return (
    ` The overview and \`GET /api/metrics\` read every customer's billing, survey, ticket and usage-day parts in one query: ${n(m.bytesPerCustomer)} B per customer ` +
    `${d?.metricsRead ? "at the target's density" : "here"} (largest ${n(m.largest)} B), so one D1 result (50 MB at most) holds about ${n(fit)} such customers (docs/scale.md).`
  );
}
