import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { fixture } from "../support/fixtures";
import { ADMIN, drain, runQueue } from "../support/drain";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";

// Alerts and HubSpot writes raised on the way are delivered to the vendor fakes.
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const BASE = "https://tenure.example.com";
const DAY = 86_400_000;
const NOW = Date.now();
type Delivery = { source: "stripe" | "segment"; body: string };

function stripe(name: string, key: string, id: string, at: number, patch: (o: any) => void = () => {}): Delivery {
  const ev = JSON.parse(fixture("stripe", name));
  ev.id = `evt_${key}_${id}`;
  ev.created = Math.floor(at / 1000);
  ev.data.object.id = `${ev.data.object.id}_${key}_${id}`;
  ev.data.object.customer = `cus_${key}`;
  if ("customer_email" in ev.data.object) ev.data.object.customer_email = `ops@${key}.example`;
  patch(ev.data.object);
  return { source: "stripe", body: JSON.stringify(ev) };
}

function track(key: string, user: string, event: string, at: number, n: number): Delivery {
  const ev = JSON.parse(fixture("segment", "track"));
  Object.assign(ev, { event, userId: `${user}_${key}`, messageId: `msg_${key}_${n}`, timestamp: new Date(at).toISOString(), originalTimestamp: new Date(at).toISOString() });
  ev.context.groupId = `grp_${key}`;
  ev.context.traits.email = `${user}@${key}.example`;
  return { source: "segment", body: JSON.stringify(ev) };
}

async function deliver(list: Delivery[]) {
  for (const d of list) {
    const headers = d.source === "stripe" ? await signStripe(d.body) : await signSegment("segment_secret", d.body);
    const res = await SELF.fetch(`${BASE}/webhooks/${d.source}`, { method: "POST", body: d.body, headers });
    expect(res.status).toBe(200);
  }
}

/** A quarter of one account: paid 90 days ago, active for seven weeks, a failed payment 30 days ago, silent since. */
function quarter(key: string, opts: { withFailure?: boolean } = {}): Delivery[] {
  const out: Delivery[] = [stripe("invoice.paid.first", key, "first", NOW - 90 * DAY)];
  let n = 0;
  for (let d = 88; d >= 40; d -= 3) {
    for (const user of ["ana", "bo", "cy"]) out.push(track(key, user, d % 2 ? "Report Exported" : "Dashboard Viewed", NOW - d * DAY + n * 1000, n++));
  }
  if (opts.withFailure !== false) out.push(stripe("invoice.payment_failed", key, "fail", NOW - 30 * DAY));
  return out;
}

const customerOf = async (key: string) => (await env.DB.prepare(`SELECT id, stage, stage_since, health FROM customers WHERE domain = ?`).bind(`${key}.example`).first<any>())!;
const timelineOf = async (id: string) =>
  (await env.DB.prepare(`SELECT at, score, band, stage FROM score_history WHERE customer_id = ? ORDER BY at`).bind(id).all<{ at: number; score: number; band: string; stage: string }>()).results;
/** What the timeline says at each day's close over the last 100 days (stored rows are changes and keyframes). */
const dailyOf = async (id: string) => {
  const points = await timelineOf(id);
  const out: (number | null)[] = [];
  for (let d = 100; d >= 0; d--) out.push([...points].reverse().find((p) => p.at <= NOW - d * DAY)?.score ?? null);
  return out;
};
const slackAlerts = async (id: string) => (await env.DB.prepare(`SELECT id, payload FROM outbox WHERE customer_id = ? AND type = 'slack.alert'`).bind(id).all<any>()).results;
const stagesOf = async (id: string) => (await env.DB.prepare(`SELECT at, from_stage, to_stage FROM stage_transitions WHERE customer_id = ? ORDER BY at`).bind(id).all()).results;

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("event time", () => {
  it("builds the same timeline whether a quarter arrives at once, shuffled in late batches, or live", async () => {
    await deliver(quarter("inorder"));
    await drain();
    // The same facts, out of order, in three deliveries with the consumer running between them.
    const late = shuffled(quarter("late"), 7);
    for (let i = 0; i < 3; i++) {
      await deliver(late.slice(Math.floor((i * late.length) / 3), Math.floor(((i + 1) * late.length) / 3)));
      await drain();
    }
    const a = await customerOf("inorder");
    const b = await customerOf("late");
    const ta = await timelineOf(a.id);
    expect(ta.length).toBeGreaterThan(3);
    expect(await dailyOf(b.id)).toEqual(await dailyOf(a.id));
    expect(await stagesOf(b.id)).toEqual(await stagesOf(a.id));
    // A replayed past raises no alert: every fact is days old.
    expect(await slackAlerts(a.id)).toEqual([]);
    expect(await slackAlerts(b.id)).toEqual([]);
    // The history spans the quarter the facts describe, not the minute they arrived in.
    expect(ta[0]!.at).toBeLessThan(NOW - 89 * DAY);
    expect(new Set(ta.map((p) => Math.floor(p.at / DAY))).size).toBeGreaterThan(3);
    // "since" agrees with the stage timeline.
    const stages = await stagesOf(a.id);
    expect(stages.at(-1)).toMatchObject({ to_stage: a.stage, at: a.stage_since });
  });

  it("recomputes the affected days when a fact for the past arrives late, and leaves earlier days alone", async () => {
    await deliver(quarter("latefact", { withFailure: false }));
    await drain();
    const c = await customerOf("latefact");
    const before = await timelineOf(c.id);
    const beforeDaily = await dailyOf(c.id);
    await deliver([stripe("invoice.payment_failed", "latefact", "fail", NOW - 30 * DAY)]);
    await drain();
    const after = await timelineOf(c.id);
    const asOf = (points: typeof before, at: number) => [...points].reverse().find((p) => p.at <= at)?.score;
    expect(asOf(after, NOW - 45 * DAY)).toBe(asOf(before, NOW - 45 * DAY));
    expect(asOf(after, NOW - 25 * DAY)!).toBeLessThan(asOf(before, NOW - 25 * DAY)!);
    // And it matches a customer whose failure came on time.
    const onTime = await customerOf("inorder");
    expect(await dailyOf(c.id)).toEqual(await dailyOf(onTime.id));
    expect((await dailyOf(c.id)).slice(0, 60)).toEqual(beforeDaily.slice(0, 60));
  });

  it("keeps a 7- and 30-day trend for a score that has been flat for 60 days", async () => {
    await deliver([stripe("invoice.paid.first", "flat", "first", NOW - 65 * DAY)]);
    await drain();
    const result = await runQueue("tenure-events", [{ recomputeAfter: "", asOf: NOW }]);
    expect(result.error).toBeUndefined();
    const c = await customerOf("flat");
    const res = await SELF.fetch(`${BASE}/api/customers/${c.id}`, { headers: ADMIN });
    const body = await res.json<any>();
    expect(body.health.trend).toEqual({ d7: expect.any(Number), d30: expect.any(Number) });
  });

  it("raises, for what is true now, each alert once, and none that the customer's page contradicts", async () => {
    // The daily recompute (time-driven) and then fresh facts make the states current.
    await runQueue("tenure-events", [{ recomputeAfter: "", asOf: Date.now() }]);
    await deliver([stripe("invoice.payment_failed", "inorder", "fresh", Date.now() - 60_000, (o) => (o.attempt_count = 2))]);
    await drain();
    await deliver([track("inorder", "ana", "Report Exported", Date.now() - 30_000, 999)]);
    await drain();
    for (const key of ["inorder", "late", "latefact", "flat"]) {
      const c = await customerOf(key);
      const raised = (await slackAlerts(c.id)).map((r) => JSON.parse(r.payload));
      const rules = raised.map((p) => p.rule);
      expect(new Set(rules).size).toBe(rules.length);
      const band = JSON.parse(c.health).band;
      for (const p of raised) if (p.rule === "entered_red") expect(band).toBe("red");
    }
  });
});
