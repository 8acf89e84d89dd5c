import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../../src/core/events";
import { applyEvents } from "../../src/core/reduce";
import { emptyState } from "../../src/core/state";
import { defaultConfig } from "../../src/core/config";
import { buildTimeline } from "../../src/core/timeline";
import { dayKey } from "../../src/core/state";
import { saveCustomerStmts } from "../../src/store/customers";
import { CUSTOMER_ROW_BUDGET_BYTES, RowTooLargeError, ROW_LIMIT_BYTES } from "../../src/store/limits";
import { timelineStmts } from "../../src/store/timeline";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const subject = { stripeCustomerId: "cus_big", domain: "big.example" };
let n = 0;
const base = (at: number, source: NormalizedEvent["source"] = "segment") => ({ id: `${source}:big-${++n}`, source, occurredAt: at, subject });

/**
 * The largest account a team could have: 10,000 users using 10 features, 5,000 tickets over three years,
 * three years of monthly invoices, thousands of survey answers and CRM contacts. What it costs is distinct
 * (user, feature, day) triples, not raw events: a repeat of the same triple changes nothing.
 */
function bigAccountEvents(): NormalizedEvent[] {
  const out: NormalizedEvent[] = [];
  const features = ["login", "report_created", "export", "invite_sent", "dashboard_viewed", "api_call", "alert_set", "share", "comment", "search"];
  for (let u = 0; u < 10_000; u++) {
    out.push({ ...base(NOW - 400 * DAY + u * 1000), type: "user.identified", userId: `person${u}@big.example`, email: `person${u}@big.example`, ...(u % 30 === 0 ? { role: "admin" } : {}) } as NormalizedEvent);
    for (const f of features.slice(0, 2)) out.push({ ...base(NOW - 2 * DAY + u), type: "usage.tracked", userId: `person${u}@big.example`, event: f } as NormalizedEvent);
  }
  for (let d = 0; d < 150; d++) {
    for (let u = 0; u < 40; u++) for (const f of features) out.push({ ...base(NOW - d * DAY - u * 60_000), type: "usage.tracked", userId: `person${(d * 37 + u) % 10_000}@big.example`, event: f } as NormalizedEvent);
  }
  for (let t = 0; t < 5_000; t++) {
    const opened = NOW - 3 * 365 * DAY + Math.floor((t / 5_000) * 3 * 365 * DAY);
    const common = { desk: "zendesk" as const, ticketId: `t${t}`, title: `Export of report ${t} fails with a timeout`, tags: ["export", "timeout", `team-${t % 7}`] };
    out.push({ ...base(opened, "zendesk"), type: "ticket.changed", ...common, status: "open", priority: t % 11 === 0 ? "high" : "normal", openedAt: opened } as NormalizedEvent);
    if (t < 4_990) out.push({ ...base(opened + 2 * DAY, "zendesk"), type: "ticket.changed", ...common, status: "solved", csat: 80 } as NormalizedEvent);
  }
  for (let m = 0; m < 36; m++) {
    const at = NOW - (36 - m) * 30 * DAY;
    out.push({ ...base(at, "stripe"), type: "invoice.paid", invoiceId: `in_${m}`, reason: m === 0 ? "first" : "renewal", amountPaid: 990_000, currency: "usd", subscriptionId: "sub_big" } as NormalizedEvent);
  }
  out.push({ ...base(NOW - 36 * 30 * DAY, "stripe"), type: "subscription.changed", subscriptionId: "sub_big", status: "active", mrr: 990_000, currency: "usd", quantity: 10_000, cancelAtPeriodEnd: false, startedAt: NOW - 36 * 30 * DAY, currentPeriodEnd: NOW + 20 * DAY } as NormalizedEvent);
  for (let r = 0; r < 6_000; r++) {
    out.push({ ...base(NOW - 3 * 365 * DAY + r * 4 * 3_600_000, "delighted"), type: "survey.responded", responseId: `r${r}`, score: r % 11, comment: "The export keeps timing out on large reports." } as NormalizedEvent);
  }
  for (let c = 0; c < 10_000; c++) out.push({ ...base(NOW - 200 * DAY + c * 1000, "hubspot"), type: "contact.changed", contactId: `${900_000 + c}`, email: `person${c}@big.example`, role: c % 50 === 0 ? "decision_maker" : undefined } as NormalizedEvent);
  return out;
}

describe("a 10,000-user account", () => {
  it("keeps its state, health and timeline rows within the 256 KB budget, through the real store", async () => {
    const cfg = defaultConfig;
    const events = bigAccountEvents();
    let state = emptyState();
    // Delivered the way the consumer sees them: batches of 100 events.
    for (let i = 0; i < events.length; i += 100) state = applyEvents(state, events.slice(i, i + 100));
    const stateBytes = JSON.stringify(state).length;
    expect(stateBytes).toBeLessThanOrEqual(CUSTOMER_ROW_BUDGET_BYTES);
    expect(JSON.stringify(state)).not.toContain("person1@big.example");

    const range = { from: dayKey(NOW - 61 * DAY), to: dayKey(NOW) };
    const built = buildTimeline(state, cfg, range, NOW, null);
    const write = {
      id: "cu_big",
      expectedVersion: null,
      name: "Big",
      domain: "big.example",
      state,
      health: { score: built.last!.score },
      score: built.last!.score,
      band: built.last!.band,
      stage: built.last!.stage,
      stageSince: null,
      mrr: 990_000,
      currency: "usd",
      alerts: {},
      timelineThrough: range.to,
      now: NOW,
    };
    await env.DB.batch([...saveCustomerStmts(env.DB, write), ...timelineStmts(env.DB, "cu_big", Date.parse(range.from), NOW + DAY, built.points, built.stages)]);
    const row = await env.DB.prepare(`SELECT length(state) + length(health) + length(alerts) AS bytes FROM customers WHERE id = 'cu_big'`).first<{ bytes: number }>();
    const timeline = await env.DB.prepare(`SELECT SUM(length(components)) + COUNT(*) * 64 AS bytes, MAX(length(components)) AS biggest FROM score_history WHERE customer_id = 'cu_big'`).first<{ bytes: number; biggest: number }>();
    // One scoring step reads the customer row and writes it back with at most 62 timeline days.
    expect(row!.bytes + timeline!.bytes).toBeLessThanOrEqual(CUSTOMER_ROW_BUDGET_BYTES);
    expect(timeline!.biggest).toBeLessThan(1_000);
    console.log(`10,000-user account: state ${stateBytes} B, customer row ${row!.bytes} B, 62-day timeline ${timeline!.bytes} B`);
  });

  it("refuses to write a customer row over the production ceiling, instead of leaving it to D1 in production", () => {
    const state = emptyState();
    state.crm.properties.notes = { value: "x".repeat(ROW_LIMIT_BYTES), at: 1, by: "e" };
    const write = () =>
      saveCustomerStmts(env.DB, { id: "cu_huge", expectedVersion: null, name: null, domain: null, state, health: null, score: 50, band: "yellow", stage: "awareness", stageSince: null, mrr: 0, currency: null, alerts: {}, timelineThrough: null, now: NOW });
    expect(write).toThrow(RowTooLargeError);
  });
});
