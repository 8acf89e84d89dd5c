import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { backfillProgress, backfillStep, startBackfill, type BackfillDeps } from "../../src/backfill/run";
import { stripeRecordDelivery } from "../../src/backfill/stripe";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { applyReceived, recordingQueue } from "./apply";
import { seedStripe } from "./seed";

const cfg = loadConfig(env);
const fakes = createFakes(cfg, { stripe: { requestsPerSecond: 1000 } });
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());

const NOW_S = Math.floor(Date.now() / 1000);
const seeded = seedStripe(fakes.stripe, { customers: 230, nowS: NOW_S });
const total = seeded.customers.length + seeded.subscriptions.length + seeded.invoices.length + seeded.refundedCharges.length + seeded.disputes.length;
/** Records listed: a charge refunded twice is listed under both refunds, and imported once. */
const listed = total - seeded.refundedCharges.length + seeded.refunds.length;

const queue = recordingQueue();
const deps = (): BackfillDeps => ({ db: env.DB, cfg, fetch, now: Date.now, events: queue });

async function count(sql: string): Promise<number> {
  return (await env.DB.prepare(sql).first<{ n: number }>())!.n;
}
const importedRows = () => count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:backfill:%'`);
/** Distinct Stripe records among the imported rows (ids are stripe:backfill:<record id>:<digest>). */
async function importedRecords(): Promise<number> {
  const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE id LIKE 'stripe:backfill:%'`).all<{ id: string }>();
  return new Set(results.map((r) => r.id.split(":")[2])).size;
}

async function runToEnd(maxSteps = 50) {
  for (let i = 0; i < maxSteps; i++) {
    const step = await backfillStep(deps(), "stripe");
    if (step.error || step.progress.status !== "running") return step;
  }
  throw new Error("the backfill did not finish");
}

describe("Stripe backfill", () => {
  beforeAll(() => expect(seeded.subscriptions.length).toBeGreaterThan(100));

  it("an interrupted run (a failed page, then a crashed commit) resumes and imports every record exactly once", async () => {
    await startBackfill(deps(), "stripe");
    // Two pages of customers go through, then Stripe fails a page request.
    expect((await backfillStep(deps(), "stripe")).error).toBeUndefined();
    expect((await backfillStep(deps(), "stripe")).error).toBeUndefined();
    fakes.stripe.failNext(1, 500);
    const failed = await backfillStep(deps(), "stripe");
    expect(failed.error?.retryable).toBe(true);
    expect(failed.progress).toMatchObject({ status: "failed", read: 200, imported: 200 });
    expect(failed.progress.error).toMatch(/^customers: Stripe 500/);
    expect(await importedRows()).toBe(200);

    // Resumed: the next page is read, but the process dies before its commit lands.
    await startBackfill(deps(), "stripe");
    const realBatch = env.DB.batch.bind(env.DB);
    let killed = false;
    const spy = vi.spyOn(env.DB, "batch").mockImplementation(async (stmts) => {
      if (!killed && stmts.length > 2) {
        killed = true;
        throw new Error("worker killed mid-commit");
      }
      return realBatch(stmts);
    });
    try {
      expect((await backfillStep(deps(), "stripe")).error).toBeDefined();
    } finally {
      spy.mockRestore();
    }
    expect((await backfillProgress(env.DB, "stripe", Date.now())).read).toBe(200);

    await startBackfill(deps(), "stripe");
    const end = await runToEnd();
    expect(end.progress.status).toBe("done");
    expect(end.progress.objects.map((o) => [o.object, o.read, o.imported])).toEqual([
      ["customers", seeded.customers.length, seeded.customers.length],
      ["subscriptions", seeded.subscriptions.length, seeded.subscriptions.length],
      ["invoices", seeded.invoices.length, seeded.invoices.length],
      ["refunds", seeded.refunds.length, seeded.refundedCharges.length],
      ["disputes", seeded.disputes.length, seeded.disputes.length],
    ]);
    expect(await importedRows()).toBe(total);
    expect(await importedRecords()).toBe(total);
    // Every new row with facts was enqueued; ignored ones (drafts, voids) were not. A charge listed under its
    // two refunds is one row, handed over again while unclaimed (as a redelivered webhook is): applied once.
    const received = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received' ORDER BY id`).all<{ id: string }>();
    expect([...new Set(queue.sent)].sort()).toEqual(received.results.map((r) => r.id));
    expect(queue.sent.length - new Set(queue.sent).size).toBe(seeded.refunds.length - seeded.refundedCharges.length);
  });

  it("feeds the records through the webhook normalizer and the pipeline", async () => {
    const byType = await env.DB.prepare(`SELECT vendor_type, status, COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:backfill:%' GROUP BY 1, 2 ORDER BY 1, 2`).all();
    expect(byType.results).toEqual(
      expect.arrayContaining([
        { vendor_type: "customer.updated", status: "received", n: seeded.customers.length },
        { vendor_type: "invoice.draft", status: "ignored", n: expect.any(Number) },
        { vendor_type: "invoice.paid", status: "received", n: expect.any(Number) },
        { vendor_type: "invoice.payment_failed", status: "received", n: expect.any(Number) },
        { vendor_type: "charge.refunded", status: "received", n: seeded.refundedCharges.length },
        { vendor_type: "charge.dispute.created", status: "received", n: seeded.disputes.length },
      ]),
    );
    await applyReceived();
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:backfill:%' AND status = 'received'`)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM customers`)).toBe(seeded.customers.length);
    const c = await env.DB.prepare(`SELECT c.state, c.mrr FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = 'cus_bf00006'`).first<{ state: string; mrr: number }>();
    const state = JSON.parse(c!.state);
    expect(Object.keys(state.billing.subscriptions)).toEqual(["sub_bf00006"]);
    expect(Object.keys(state.billing.invoices).sort()).toEqual(["in_bf00006_0", "in_bf00006_1"]);
    expect(Object.keys(state.billing.failures)).toEqual(["in_bf00006_2:2"]);
    expect(c!.mrr).toBeGreaterThan(0);
    // Refunds and disputes land on the charge's customer: a charge refunded twice counts its total once.
    const refunded = await env.DB.prepare(`SELECT c.state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = 'cus_bf00054'`).first<{ state: string }>();
    const billing = JSON.parse(refunded!.state).billing;
    expect(Object.values(billing.refunds)).toEqual([expect.objectContaining({ amount: 1500 })]);
    expect(Object.keys(billing.disputes)).toEqual(["dp_bf00054"]);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE vendor_type IN ('charge.refunded', 'charge.dispute.created') AND status != 'processed'`)).toBe(0);
  });

  it("a second run imports nothing twice; a changed record becomes one new fact", async () => {
    await startBackfill(deps(), "stripe");
    const again = await runToEnd();
    expect(again.progress).toMatchObject({ status: "done", read: listed, imported: 0 });

    const sub = fakes.stripe.state.subscriptions.get("sub_bf00002")! as unknown as Record<string, unknown>;
    Object.assign(sub, { status: "canceled", canceled_at: NOW_S - 60, ended_at: NOW_S - 60 });
    await startBackfill(deps(), "stripe");
    const changed = await runToEnd();
    expect(changed.progress).toMatchObject({ status: "done", imported: 1 });
    expect(await importedRows()).toBe(total + 1);
  });

  it("refuses a page commit whose cursor moved meanwhile (a worker whose lease lapsed)", async () => {
    const { pageCommitStmts } = await import("../../src/store/backfill");
    await startBackfill(deps(), "stripe", { restart: true });
    await backfillStep(deps(), "stripe");
    const row = { id: "stripe:backfill:late:x", source: "stripe", vendorType: "customer.updated", status: "ignored" as const, occurredAt: 0, receivedAt: 1, requestId: "late", reason: "late", events: [], payload: "{}" };
    // The lapsed worker read page 1 too, and tries to commit it after the live one did.
    const stale = pageCommitStmts(env.DB, { source: "stripe", object: "customers", pagesBefore: 0, next: "cus_x", rows: [row], now: 1, requestId: "late" });
    await expect(env.DB.batch(stale)).rejects.toThrow(/batch_guard/);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id = 'stripe:backfill:late:x'`)).toBe(0);
  });
});

describe("stripeRecordDelivery", () => {
  it("is deterministic, and keys a record by its facts", () => {
    const customer = { id: "cus_1", object: "customer", created: 1_700_000_000, email: "a@acme.example", name: "Acme", metadata: {} };
    const a = stripeRecordDelivery("customers", customer, 1);
    expect(stripeRecordDelivery("customers", structuredClone(customer), 2)).toEqual(a);
    expect(a.dedupeKey).toMatch(/^backfill:cus_1:[0-9a-f]{14}$/);
    expect(a.events[0]).toMatchObject({ id: `stripe:${a.dedupeKey}`, type: "customer.profile", subject: { stripeCustomerId: "cus_1", domain: "acme.example" } });
    expect(stripeRecordDelivery("customers", { ...customer, name: "Acme Inc" }, 1).dedupeKey).not.toBe(a.dedupeKey);
  });

  it("keeps an unreadable record as an ignored delivery instead of failing the page", () => {
    const d = stripeRecordDelivery("subscriptions", { id: "sub_1", object: "subscription", status: "active" }, 5);
    expect(d.events).toEqual([]);
    expect(d.ignoredReason).toMatch(/unreadable Stripe subscriptions record at customer/);
  });
});
