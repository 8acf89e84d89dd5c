import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isHourlyCron } from "../../src/cron";
import worker from "../../src/index";
import { fixture } from "../support/fixtures";
import { runQueue } from "../support/drain";
import { jobHarness, runPages, type JobHarness } from "../support/jobs";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";

const BASE = "https://tenure.example.com";
const HOUR = 3_600_000;
const NOW = Date.now();
/** Paid 24 h 20 min ago: the first-value deadline passed 20 minutes before the hourly run. */
const PAID_AT = NOW - 24 * HOUR - 20 * 60_000;

function stripe(name: string, key: string, at: number, patch: (o: any) => void = () => {}) {
  const ev = JSON.parse(fixture("stripe", name));
  ev.id = `evt_${key}_${name}`;
  ev.created = Math.floor(at / 1000);
  ev.data.object.id = `${ev.data.object.id}_${key}`;
  ev.data.object.customer = `cus_${key}`;
  if ("customer_email" in ev.data.object) ev.data.object.customer_email = `ops@${key}.example`;
  patch(ev.data.object);
  return JSON.stringify(ev);
}

function track(key: string, at: number) {
  const ev = JSON.parse(fixture("segment", "track"));
  Object.assign(ev, { userId: `ana_${key}`, messageId: `msg_${key}`, timestamp: new Date(at).toISOString(), originalTimestamp: new Date(at).toISOString() });
  ev.context.groupId = `grp_${key}`;
  ev.context.traits.email = `ana@${key}.example`;
  return JSON.stringify(ev);
}

async function deliver(source: "stripe" | "segment", body: string) {
  const headers = source === "stripe" ? await signStripe(body) : await signSegment("segment_secret", body);
  const res = await SELF.fetch(`${BASE}/webhooks/${source}`, { method: "POST", body, headers });
  expect(res.status).toBe(200);
}

/** Applies what the webhooks stored (actions stay in the outbox: this test reads what was planned). */
async function applyReceived() {
  const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received'`).all<{ id: string }>();
  await runQueue("tenure-events", results.map((r) => ({ eventId: r.id })));
}

/** A paying customer with no usage, and another account whose usage shows the usage source delivers. */
async function payingWithoutUsage(key: string, opts: { churned?: boolean; usageElsewhere?: boolean } = {}) {
  await deliver("stripe", stripe("invoice.paid.first", key, PAID_AT));
  if (opts.churned) {
    const ended = Math.floor((NOW - 2 * HOUR) / 1000);
    await deliver("stripe", stripe("customer.subscription.deleted", key, NOW - 2 * HOUR, (o) => Object.assign(o, { canceled_at: ended, ended_at: ended })));
  }
  if (opts.usageElsewhere !== false) await deliver("segment", track(`${key}-other`, NOW - 3 * HOUR));
  await applyReceived();
  return (await env.DB.prepare(`SELECT id, stage, first_value_due_at AS due FROM customers WHERE domain = ?`).bind(`${key}.example`).first<{ id: string; stage: string; due: number | null }>())!;
}

async function runHourly(h: JobHarness, scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ cron: "7 * * * *", scheduledTime }), h.env as never, ctx);
  await waitOnExecutionContext(ctx);
  // The hourly retention the same cron starts is its own chain (test/jobs/prune-inbox.test.ts).
  return runPages(h, h.events.sent.splice(0).filter((b) => (b as { job?: string }).job !== "prune-inbox"));
}

const alertRules = async (customerId: string) =>
  (await env.DB.prepare(`SELECT json_extract(payload, '$.rule') AS rule FROM outbox WHERE customer_id = ? AND type = 'slack.alert'`).bind(customerId).all<{ rule: string }>()).results.map(
    (r) => r.rule,
  );

describe("the hourly first-value check", () => {
  it("has its own cron trigger, told apart from the sweeper's and the daily one", () => {
    expect(["*/2 * * * *", "17 3 * * *", "7 * * * *"].map(isHourlyCron)).toEqual([false, false, true]);
  });

  it("alerts a paying customer without usage within the hour after its 24 hours, when a usage source is connected", async () => {
    const c = await payingWithoutUsage("fv-connected");
    expect(c.due).toBe(Math.floor(PAID_AT / 1000) * 1000 + 24 * HOUR);
    // The webhook step saw the deadline pass but does not speak for the 24-hour rule; the hourly run does.
    expect(await alertRules(c.id)).not.toContain("first_value_missed");

    const runs = await runHourly(jobHarness(), NOW);
    expect(runs.map((r) => [(r.body as { job: string }).job, r.acked, r.retried])).toEqual([["first-value", true, false]]);
    expect(await alertRules(c.id)).toContain("first_value_missed");

    // Once: the next hour finds the same deadline in its lookback and says nothing more.
    await runHourly(jobHarness(), NOW + HOUR);
    expect((await alertRules(c.id)).filter((r) => r === "first_value_missed")).toHaveLength(1);
  });

  it("says nothing without a configured usage source", async () => {
    const c = await payingWithoutUsage("fv-no-source");
    await runHourly(jobHarness({ vars: { SEGMENT_SHARED_SECRET: "" } }), NOW);
    expect(await alertRules(c.id)).not.toContain("first_value_missed");
  });

  it("says nothing while no account has reported usage yet, though the source is configured", async () => {
    // A deployment where no usage has arrived from anyone (earlier tests of this file delivered some).
    await env.DB.prepare(`DELETE FROM usage_observed`).run();
    const c = await payingWithoutUsage("fv-no-usage", { usageElsewhere: false });
    expect(await env.DB.prepare(`SELECT first_at FROM usage_observed`).first()).toBeNull();
    await runHourly(jobHarness(), NOW);
    expect(await alertRules(c.id)).not.toContain("first_value_missed");
    // The first usage from any account marks the source connected.
    await deliver("segment", track("fv-no-usage-other", NOW - HOUR));
    await applyReceived();
    expect(await env.DB.prepare(`SELECT first_at FROM usage_observed`).first()).not.toBeNull();
  });

  it("says nothing for a churned account", async () => {
    const c = await payingWithoutUsage("fv-churned", { churned: true });
    expect(c.stage).toBe("churned");
    await runHourly(jobHarness(), NOW);
    expect(await alertRules(c.id)).toEqual([]);
  });

  it("reads only the customers whose deadline passed in the lookback", async () => {
    await payingWithoutUsage("fv-window");
    const h = jobHarness();
    // Three hours later the deadline is outside the two-hour lookback: the page finds no one.
    const runs = await runHourly(h, NOW + 3 * HOUR);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.statements).toBe(1);
  });
});
