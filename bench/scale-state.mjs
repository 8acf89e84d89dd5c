// Scale, pure core: the per-customer rows one scoring step reads and writes, for one very large account.
// Run by bench/run.mjs in a Node process of its own (like the recompute benchmark); prints JSON.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { removeTempDirs, round } from "./lib.mjs";
import { importBundled } from "./node-bundle.mjs";

const core = await importBundled(
  "scale-state",
  `export { applyEvents } from "./src/core/reduce";
   export { emptyState } from "./src/core/state";
   export { scoreCustomer } from "./src/core/snapshot";
   export { defaultConfig } from "./src/core/config";
   export { normalizedEventSchema } from "./src/core/events";`,
);

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const GOAL_BYTES = 256 * 1024;
const FEATURES = ["report_exported", "dashboard_viewed", "report_created", "user_invited", "alert_configured", "integration_connected", "comment_added", "file_uploaded", "search_run", "workflow_run"];
const subject = { segmentGroupId: "acct_largest", stripeCustomerId: "cus_largest", domain: "largest.example", name: "Largest Co" };

/** Checks one event of each type against the event union, so a changed schema fails loudly instead of measuring nonsense. */
const checked = new Set();
function ev(e) {
  if (!checked.has(e.type)) {
    const r = core.normalizedEventSchema.safeParse(e);
    if (!r.success) throw new Error(`generated ${e.type} does not match the event schema: ${JSON.stringify(r.error.issues[0])}`);
    checked.add(e.type);
  }
  return e;
}

/** Three years of billing: one subscription, monthly invoices. */
function billingEvents() {
  const start = NOW - 3 * 365 * DAY;
  const out = [
    ev({ id: "stripe:sub_created", source: "stripe", occurredAt: start, subject, type: "subscription.changed", subscriptionId: "sub_largest", status: "active", mrr: 5_000_000, currency: "usd", planId: "enterprise", quantity: 10_000, startedAt: start, currentPeriodEnd: NOW + 20 * DAY, cancelAtPeriodEnd: false }),
  ];
  for (let m = 0; m < 36; m++) {
    const at = start + m * 30 * DAY;
    out.push(ev({ id: `stripe:evt_in_${m}`, source: "stripe", occurredAt: at, subject, type: "invoice.paid", invoiceId: `in_largest_${m}`, reason: m === 0 ? "first" : "renewal", amountPaid: 5_000_000, currency: "usd", subscriptionId: "sub_largest", periodEnd: at + 30 * DAY, chargeId: `ch_largest_${m}` }));
  }
  return out;
}

/** `tickets` support tickets over three years, each opened, answered and solved (three `ticket.changed` events). */
function ticketEvents(tickets) {
  const out = [];
  const span = 3 * 365 * DAY;
  for (let t = 0; t < tickets; t++) {
    const opened = NOW - span + Math.floor((t / tickets) * span);
    const base = { source: "zendesk", subject, type: "ticket.changed", desk: "zendesk", ticketId: String(100_000 + t) };
    out.push(ev({ ...base, id: `zendesk:${t}:open`, occurredAt: opened, status: "open", priority: t % 20 === 0 ? "urgent" : "normal", openedAt: opened, tags: ["billing", `area_${t % 12}`], title: `Export to CSV times out for large workspaces (${t})` }));
    out.push(ev({ ...base, id: `zendesk:${t}:pending`, occurredAt: opened + 3_600_000, status: "pending", firstResponseAt: opened + 3_600_000 }));
    out.push(ev({ ...base, id: `zendesk:${t}:solved`, occurredAt: opened + 2 * DAY, status: "solved", csat: t % 7 === 0 ? 0 : 100, slaBreached: t % 25 === 0 }));
  }
  return out;
}

/** NPS answers over three years, with comments. */
function surveyEvents(responses) {
  const out = [];
  const span = 3 * 365 * DAY;
  for (let r = 0; r < responses; r++) {
    const at = NOW - span + Math.floor((r / responses) * span);
    out.push(ev({ id: `delighted:${r}`, source: "delighted", occurredAt: at, subject, type: "survey.responded", responseId: `r_${r}`, score: r % 11, comment: r % 3 === 0 ? "Reports are great, exports are slow on big workspaces." : undefined }));
  }
  return out;
}

function userEvents(users) {
  const out = [ev({ id: "segment:group", source: "segment", occurredAt: NOW - 400 * DAY, subject, type: "account.grouped", groupId: "acct_largest", name: "Largest Co", domain: "largest.example", seats: users, plan: "enterprise" })];
  for (let u = 0; u < users; u++) {
    out.push(ev({ id: `segment:identify_${u}`, source: "segment", occurredAt: NOW - 400 * DAY + u, subject: { ...subject, userId: `user_${u}` }, type: "user.identified", userId: `user_${u}`, email: `user_${u}@largest.example`, role: u % 100 === 0 ? "admin" : "member" }));
  }
  return out;
}

/** One day of usage: every user uses every feature once (distinct (user, feature, day) triples are what the state can keep). */
function usageDay(day, users, features) {
  const dayStart = NOW - day * DAY - 12 * 3_600_000;
  const out = new Array(users * features);
  let i = 0;
  for (let u = 0; u < users; u++) {
    const userId = `user_${u}`;
    const s = { segmentGroupId: "acct_largest", userId };
    for (let f = 0; f < features; f++) {
      out[i++] = { id: `segment:d${day}_u${u}_f${f}`, source: "segment", occurredAt: dayStart + u * 8 + f, subject: s, type: "usage.tracked", userId, event: FEATURES[f] };
    }
  }
  ev(out[0]);
  return out;
}

/** Sizes of the state's parts: each map's JSON and its largest single entry. */
function parts(state) {
  const out = [];
  const walk = (value, path, depth) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (v !== null && typeof v === "object" && !Array.isArray(v) && depth < 1) walk(v, p, depth + 1);
      else {
        const register = v !== null && typeof v === "object" && "at" in v && ("value" in v || "by" in v);
        const entries = v !== null && typeof v === "object" && !Array.isArray(v) && !register ? Object.entries(v) : [];
        let largest = null;
        for (const [ek, evv] of entries) {
          const n = JSON.stringify(evv).length;
          if (!largest || n > largest.bytes) largest = { key: ek, bytes: n };
        }
        out.push({ path: p, bytes: JSON.stringify(v ?? null).length, entries: entries.length || null, largestEntryBytes: largest?.bytes ?? null });
      }
    }
  };
  walk(state, "", 0);
  return out.sort((a, b) => b.bytes - a.bytes);
}

export function buildLargestState({ users = 10_000, features = FEATURES.length, days = 121, tickets = 5_000, responses = 3_000, budgetSeconds = 150 } = {}) {
  const t0 = performance.now();
  let state = core.applyEvents(core.emptyState(), [...billingEvents(), ...userEvents(users), ...surveyEvents(responses)]);
  state = core.applyEvents(state, ticketEvents(tickets));
  const factsSeconds = (performance.now() - t0) / 1000;
  const deadline = performance.now() + budgetSeconds * 1000;
  let usageEvents = 0;
  let daysApplied = 0;
  const u0 = performance.now();
  for (let day = days - 1; day >= 0; day--) {
    if (performance.now() > deadline) break;
    const batch = usageDay(day, users, features);
    state = core.applyEvents(state, batch);
    usageEvents += batch.length;
    daysApplied++;
  }
  const usageSeconds = (performance.now() - u0) / 1000;

  // One scoring step as the consumer runs it: parse the stored row, apply one event, score, serialize.
  const json = JSON.stringify(state);
  const s0 = performance.now();
  const parsed = JSON.parse(json);
  const next = core.applyEvents(parsed, [{ id: "segment:one_more", source: "segment", occurredAt: NOW, subject: { segmentGroupId: "acct_largest", userId: "user_1" }, type: "usage.tracked", userId: "user_1", event: FEATURES[0] }]);
  const scored = core.scoreCustomer(next, NOW, core.defaultConfig, undefined, { d7: null, d30: null });
  const written = JSON.stringify(next);
  const health = JSON.stringify({ ...scored.health, trend: { d7: null, d30: null }, snapshot: scored.snapshot });
  const stepMs = performance.now() - s0;

  const complete = daysApplied === days;
  return {
    goalBytes: GOAL_BYTES,
    account: { users, features, days, daysApplied, complete, tickets, ticketEvents: tickets * 3, invoices: 36, surveyResponses: responses },
    distinctTriples: users * features * days,
    usageEventsApplied: usageEvents,
    buildSeconds: { facts: round(factsSeconds, 1), usage: round(usageSeconds, 1), budget: budgetSeconds },
    usageEventsPerSecond: round(usageEvents / usageSeconds, 0),
    stateBytes: json.length,
    stateBytesAfterStep: written.length,
    healthBytes: health.length,
    largestRowBytes: Math.max(written.length, health.length, json.length),
    withinGoal: complete && Math.max(written.length, health.length, json.length) <= GOAL_BYTES,
    stepMs: round(stepMs, 1),
    parts: parts(state).slice(0, 12),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { budget: { type: "string", default: "150" }, users: { type: "string", default: "10000" } } });
  const result = buildLargestState({ budgetSeconds: Number(values.budget), users: Number(values.users) });
  removeTempDirs();
  process.stdout.write(JSON.stringify(result));
}
