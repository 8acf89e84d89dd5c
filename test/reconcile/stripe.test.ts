import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { reconcileStripe, type ReconcileDeps } from "../../src/reconcile";
import { objectSchemas } from "../../webhooks/stripe/schemas";
import { applyReceived, recordingQueue } from "../backfill/apply";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { fixture } from "../support/fixtures";
import { jobHarness, runDaily } from "../support/jobs";
import { signStripe } from "../support/sign/stripe";

const cfg = loadConfig(env);
const fakes = createFakes(cfg, { stripe: { requestsPerSecond: 1000 } });
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());

const NOW_S = Math.floor(Date.now() / 1000);
const HOUR = 3600;
const stripe = fakes.stripe.lists;

/** A fixture's object as an event Stripe holds (and would have sent), created `ago` seconds back. */
function holdEvent(name: string, id: string, ago: number, patch: (o: any) => void = () => {}) {
  const fx = JSON.parse(fixture("stripe", name));
  patch(fx.data.object);
  return stripe.addEvent(fx.type, fx.data.object, { id, created: NOW_S - ago, ...(fx.data.previous_attributes ? { previous_attributes: fx.data.previous_attributes } : {}) });
}

async function deliver(event: object) {
  const body = JSON.stringify(event);
  const res = await SELF.fetch("https://tenure.example.com/webhooks/stripe", { method: "POST", body, headers: await signStripe(body) });
  expect(res.status).toBe(200);
}

const queue = recordingQueue();
// The run's clock is the second the held events were dated from, so the window's start is exact.
const deps = (over: Partial<ReconcileDeps> = {}): ReconcileDeps => ({ db: env.DB, cfg, fetch, now: () => NOW_S * 1000, events: queue, ...over });

describe("Stripe reconciliation", () => {
  const customer = holdEvent("customer.created", "evt_rc_customer", 50 * HOUR);
  const checkout = holdEvent("checkout.session.completed", "evt_rc_checkout", 49 * HOUR);
  const subscription = holdEvent("customer.subscription.created", "evt_rc_sub", 49 * HOUR);
  const paid = holdEvent("invoice.paid.first", "evt_rc_paid", 48 * HOUR);
  const failed = holdEvent("invoice.payment_failed", "evt_rc_failed", 2 * HOUR);
  // Outside the window, and a type Tenure does not use: neither is asked for.
  holdEvent("invoice.paid.renewal", "evt_rc_too_old", 31 * 24 * HOUR, (o) => (o.id = "in_old_one"));
  // Four weeks back: Stripe still lists it, and so does the 30-day window.
  const weeksAgo = holdEvent("charge.refunded", "evt_rc_weeks_ago", 28 * 24 * HOUR);
  stripe.addEvent("payout.paid", { id: "po_1", object: "payout" }, { id: "evt_rc_payout", created: NOW_S - HOUR });

  it("recovers exactly the events that never arrived, with the webhook's ids, and nothing on the next run", async () => {
    await deliver(customer);
    await deliver(paid);
    const first = await reconcileStripe(deps());
    expect(first).toMatchObject({ listed: 6, recovered: 4 });
    expect(first.recoveredIds.sort()).toEqual(["stripe:evt_rc_checkout", "stripe:evt_rc_failed", "stripe:evt_rc_sub", `stripe:${weeksAgo.id}`]);
    expect([...queue.sent].sort()).toEqual(first.recoveredIds);
    const rows = await env.DB.prepare(`SELECT id, vendor_type, status, request_id FROM inbox_events ORDER BY id`).all();
    expect(rows.results).toEqual([
      { id: "stripe:evt_rc_checkout", vendor_type: "checkout.session.completed", status: "received", request_id: "reconcile:stripe" },
      { id: "stripe:evt_rc_customer", vendor_type: "customer.created", status: "received", request_id: expect.not.stringMatching(/^reconcile/) },
      { id: "stripe:evt_rc_failed", vendor_type: "invoice.payment_failed", status: "received", request_id: "reconcile:stripe" },
      { id: "stripe:evt_rc_paid", vendor_type: "invoice.paid", status: "received", request_id: expect.not.stringMatching(/^reconcile/) },
      { id: "stripe:evt_rc_sub", vendor_type: "customer.subscription.created", status: "received", request_id: "reconcile:stripe" },
      { id: "stripe:evt_rc_weeks_ago", vendor_type: "charge.refunded", status: "received", request_id: "reconcile:stripe" },
    ]);
    const list = fakes.stripe.requests.find((r) => r.path.startsWith("/v1/events"))!;
    const q = new URL(`https://x${list.path}`).searchParams;
    expect(Number(q.get("created[gte]"))).toBe(NOW_S - 30 * 86_400);
    expect([...q.entries()].filter(([k]) => k.startsWith("types")).map(([, v]) => v)).toContain("invoice.payment_failed");

    expect(await reconcileStripe(deps())).toMatchObject({ listed: 6, recovered: 0 });
  });

  it("the recovered events are applied like webhooks", async () => {
    await applyReceived();
    const row = await env.DB.prepare(`SELECT c.state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = 'cus_QXg1o8vcGmoR32'`).first<{ state: string }>();
    const state = JSON.parse(row!.state);
    expect(Object.keys(state.billing.subscriptions)).toEqual([subscription.data && "sub_1QAcme0001"]);
    expect(Object.keys(state.billing.checkouts)).toEqual([(checkout.data as any).object.id]);
    expect(Object.keys(state.billing.failures)).toEqual([`${(failed.data as any).object.id}:${(failed.data as any).object.attempt_count}`]);
  });

  it("pages through a busy window", async () => {
    for (let i = 0; i < 230; i++) {
      stripe.addEvent("customer.updated", { id: `cus_rc${i}`, object: "customer", email: `x@rc${i}.example`, name: `RC ${i}`, metadata: {} }, { id: `evt_rc_bulk_${i}`, created: NOW_S - 10 * HOUR + i });
    }
    const before = fakes.stripe.requests.length;
    expect(await reconcileStripe(deps())).toMatchObject({ listed: 236, recovered: 230 });
    expect(fakes.stripe.requests.slice(before).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("runs as a daily job, a few Stripe pages per queue message, each message continuing the listing", async () => {
    holdEvent("customer.subscription.deleted", "evt_rc_cron", HOUR);
    for (let i = 0; i < 620; i++) {
      stripe.addEvent("customer.updated", { id: `cus_rd${i}`, object: "customer", email: `x@rd${i}.example`, name: `RD ${i}`, metadata: {} }, { id: `evt_rc_daily_${i}`, created: NOW_S - 20 * HOUR + i });
    }
    const h = jobHarness();
    const { runs } = await runDaily(h, NOW_S * 1000);
    const pages = runs.filter((r) => (r.body as { job?: string }).job === "reconcile-stripe");
    // 857 events in the window at 100 per list call and 5 calls per message: two messages.
    expect(pages.map((r) => (r.body as { startingAfter: string | null }).startingAfter === null)).toEqual([true, false]);
    expect(pages.every((r) => r.acked && !r.retried)).toBe(true);
    const row = await env.DB.prepare(`SELECT request_id FROM inbox_events WHERE id = 'stripe:evt_rc_cron'`).first();
    expect(row).toEqual({ request_id: "reconcile:stripe" });
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_rc_daily_%'`).first()).toEqual({ n: 620 });
    expect(h.eventIds).toContain("stripe:evt_rc_cron");
  });

  it("a page boundary loses nothing: pages continued across calls list every event once, ties in `created` included", async () => {
    const boundary = NOW_S - 30 * HOUR;
    // 150 events in one second straddle the first page's end; the listing is continued one page per call.
    for (let i = 0; i < 150; i++) {
      stripe.addEvent("customer.updated", { id: `cus_pb${i}`, object: "customer", email: `x@pb${i}.example`, name: `PB ${i}`, metadata: {} }, { id: `evt_rc_pb_${String(i).padStart(3, "0")}`, created: boundary });
    }
    const used = new Set(Object.keys(objectSchemas));
    const inWindow = stripe.events.filter((e) => (e.created ?? 0) >= NOW_S - 30 * 86_400 && used.has(e.type as string)).length;
    let listedTotal = 0;
    const recovered: string[] = [];
    let startingAfter: string | undefined;
    let calls = 0;
    do {
      const before = fakes.stripe.requests.length;
      const page = await reconcileStripe(deps(), { asOf: NOW_S * 1000, maxPages: 1, ...(startingAfter ? { startingAfter } : {}) });
      const listed = fakes.stripe.requests.slice(before).filter((r) => r.path.startsWith("/v1/events"));
      expect(listed).toHaveLength(1);
      listedTotal += page.listed;
      recovered.push(...page.recoveredIds);
      startingAfter = page.next ?? undefined;
      calls++;
    } while (startingAfter && calls < 50);
    expect(listedTotal).toBe(inWindow);
    expect(recovered.filter((id) => id.startsWith("stripe:evt_rc_pb_")).sort()).toEqual(Array.from({ length: 150 }, (_, i) => `stripe:evt_rc_pb_${String(i).padStart(3, "0")}`));
    expect(new Set(recovered).size).toBe(recovered.length);
  });

  it("does nothing without a Stripe key", async () => {
    expect(await reconcileStripe(deps({ cfg: { ...cfg, STRIPE_SECRET_KEY: undefined } }))).toMatchObject({ recovered: 0, skipped: expect.stringMatching(/STRIPE_SECRET_KEY/) });
  });
});
