import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { CHUNKS_PER_PAGE } from "../../src/jobs/prune-inbox";
import { RECONCILE_WINDOW_DAYS } from "../../src/reconcile";
import { ASSOCIATION_RETENTION_DAYS, DECLARED_DEDUPE_WINDOW_DAYS, DEDUPE_WINDOW_DAYS, OUTBOX_RETENTION_DAYS, ROWS_PER_STATEMENT } from "../../src/store/retention";
import { drain } from "../support/drain";
import { editedFixture, fixture } from "../support/fixtures";
import { jobHarness, runPages } from "../support/jobs";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";
import { signZendesk } from "../support/sign/zendesk";
import { loadConfig } from "../../src/env";
import worker from "../../src/index";
import { DAILY_JOBS } from "../../src/jobs/daily";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";

// Alerts and HubSpot writes raised on the way are delivered to the vendor fakes.
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const DAY = 86_400_000;
const BASE = "https://tenure.example.com";
const TRACKS = 20;

async function deliver(source: string, body: string, headers: Record<string, string>) {
  const res = await SELF.fetch(`${BASE}/webhooks/${source}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<{ received: number; duplicates: number; ignored: number }>();
}
const segment = async (body: string) => deliver("segment", body, await signSegment("segment_secret", body));
const stripe = async (body: string) => deliver("stripe", body, await signStripe(body));
const zendesk = async (body: string) =>
  deliver("zendesk", body, await signZendesk("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", body, { now: Date.now(), method: "POST", url: "" }));

const track = (i: number) =>
  editedFixture("segment", "track", (t) => {
    t.messageId = `ajs-retention-${i}`;
    t.event = i % 2 ? "Report Exported" : "Dashboard Viewed";
    t.timestamp = new Date(Date.now() - i * 3_600_000).toISOString();
  });

const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;

/** Bytes an inbox row keeps: its text columns as stored, plus 8 per integer column. */
const ROW_BYTES = `length(id) + length(source) + length(vendor_type) + length(status) + length(normalized) + COALESCE(length(payload), 0)
  + COALESCE(length(customer_id), 0) + COALESCE(length(request_id), 0) + COALESCE(length(reason), 0) + 4 * 8`;
const bytesOf = (where: string) => count(`SELECT COALESCE(SUM(${ROW_BYTES}), 0) AS n FROM inbox_events WHERE ${where}`);

const prune = (asOf: number, vars: Record<string, string> = {}) => {
  const h = jobHarness({ vars });
  // This job's pages only, not the rest of the daily chain it hands over to.
  return runPages(h, [{ job: "prune-inbox", asOf, step: 0 }], { follow: (body) => (body as { job?: string }).job === "prune-inbox" });
};

describe("inbox retention", () => {
  let segmentBytesBefore = 0;

  it("keeps Stripe events past the 30 days Stripe lists them for, and past reconciliation's window", () => {
    expect(DEDUPE_WINDOW_DAYS.stripe).toBeGreaterThan(30);
    expect(DEDUPE_WINDOW_DAYS.stripe).toBeGreaterThan(RECONCILE_WINDOW_DAYS);
  });

  it("inside Segment's window a redelivery is a duplicate that changes nothing, and the retention job keeps the rows", async () => {
    await segment(fixture("segment", "group"));
    await drain();
    for (let i = 0; i < TRACKS; i++) await segment(track(i));
    await stripe(fixture("stripe", "customer.created"));
    await drain();
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'segment' AND vendor_type = 'track' AND status = 'processed'`)).toBe(TRACKS);
    segmentBytesBefore = await bytesOf(`source = 'segment' AND vendor_type = 'track'`);

    const customer = async () => env.DB.prepare(`SELECT version, state FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'segment_group' AND i.value = 'acct_5521'`).first();
    const before = await customer();
    const rows = await count(`SELECT COUNT(*) AS n FROM inbox_events`);
    expect(await segment(track(3))).toEqual({ received: 1, duplicates: 1, ignored: 0 });

    // A day later: still inside the 2-day window, nothing goes.
    const runs = await prune(Date.now() + 1 * DAY);
    expect(runs.every((r) => r.acked && !r.retried)).toBe(true);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events`)).toBe(rows);
    expect(await segment(track(3))).toEqual({ received: 1, duplicates: 1, ignored: 0 });
    await drain();
    expect(await customer()).toEqual(before);
  });

  it("past Segment's window its processed rows are deleted while a Stripe row of the same age is kept", async () => {
    const asOf = Date.now() + (DEDUPE_WINDOW_DAYS.segment + 1) * DAY;
    expect(DEDUPE_WINDOW_DAYS.stripe).toBeGreaterThan(DEDUPE_WINDOW_DAYS.segment + 1);
    await prune(asOf);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'segment'`)).toBe(0);
    expect(await env.DB.prepare(`SELECT status FROM inbox_events WHERE source = 'stripe'`).all()).toMatchObject({ results: [{ status: "processed" }] });

    const kept = await bytesOf(`source = 'segment' AND vendor_type = 'track'`);
    const perEvent = kept / TRACKS;
    console.log(`inbox bytes per Segment track event: ${(segmentBytesBefore / TRACKS).toFixed(0)} inside the window, ${perEvent.toFixed(1)} after it`);
    expect(perEvent).toBeLessThanOrEqual(50);
  });

  it("unmatched rows wait UNMATCHED_RETENTION_DAYS, then go with their keys; received and failed rows are never deleted", async () => {
    const ticket = JSON.stringify({ ticket: { id: "7001", status: "Open", priority: "High", tags: "", title: "Hello", requester_email: "ops@nobody-yet.example", created_at: "2026-11-20T07:00Z", updated_at: "2026-11-20T07:00Z" } });
    await zendesk(ticket);
    await drain();
    const unmatched = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'unmatched'`).first<{ id: string }>();
    expect(unmatched).not.toBeNull();
    expect(await count(`SELECT COUNT(*) AS n FROM unmatched_keys WHERE event_id = ?`, unmatched!.id)).toBeGreaterThan(0);
    // As if the event had been refused for contradicting explicit ids: its conflict is listed while it is kept.
    await env.DB.prepare(`INSERT INTO identity_conflicts (event_id, kind, value, customer_id, held, reason, at) VALUES (?, 'stripe', 'cus_x', 'cu_y', 'cus_z', 'test', ?)`)
      .bind(unmatched!.id, Date.now())
      .run();
    const old = Date.now() - 400 * DAY;
    await env.DB.batch(
      ["received", "failed"].map((status) =>
        env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized, payload) VALUES (?, 'segment', 'track', ?, ?, ?, '[]', 'raw')`).bind(
          `segment:old-${status}`,
          status,
          old,
          old,
        ),
      ),
    );

    await prune(Date.now() + 29 * DAY, { UNMATCHED_RETENTION_DAYS: "30" });
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id = ?`, unmatched!.id)).toBe(1);

    await prune(Date.now() + 31 * DAY, { UNMATCHED_RETENTION_DAYS: "30" });
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id = ?`, unmatched!.id)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM unmatched_keys`)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM identity_conflicts WHERE event_id = ?`, unmatched!.id)).toBe(0);
    const left = await env.DB.prepare(`SELECT id, status, payload FROM inbox_events WHERE id LIKE 'segment:old-%' ORDER BY id`).all();
    // Kept, with the raw body dropped after RAW_PAYLOAD_RETENTION_DAYS.
    expect(left.results).toEqual([
      { id: "segment:old-failed", status: "failed", payload: null },
      { id: "segment:old-received", status: "received", payload: null },
    ]);
  });

  it("a retention run over more rows than a page continues across queue invocations, each far under D1's 1,000 queries", async () => {
    const rows = 45_000;
    const old = Date.now() - 10 * DAY;
    // Straight into D1: 45,000 processed Segment rows and 1,500 Stripe rows, 10 days old.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized, payload)
       SELECT 'segment:bulk-' || i, 'segment', 'track', 'processed', ?2, ?2, '[]', NULL FROM n`,
    )
      .bind(rows, old)
      .run();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
       INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized, payload)
       SELECT 'stripe:bulk-' || i, 'stripe', 'invoice.paid', 'processed', ?1, ?1, '[]', NULL FROM n`,
    )
      .bind(old)
      .run();

    const runs = await prune(Date.now());
    const perPage = CHUNKS_PER_PAGE * ROWS_PER_STATEMENT;
    expect(runs.length).toBeGreaterThanOrEqual(Math.ceil(rows / perPage));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((r) => r.acked && !r.retried)).toBe(true);
    for (const r of runs) {
      expect(r.calls, JSON.stringify(r.body)).toBeLessThanOrEqual(2 * CHUNKS_PER_PAGE);
      expect(r.statements, JSON.stringify(r.body)).toBeLessThanOrEqual(4 * CHUNKS_PER_PAGE);
    }
    console.log(`retention over ${rows} rows: ${runs.length} queue invocations, at most ${Math.max(...runs.map((r) => r.calls))} D1 calls / ${Math.max(...runs.map((r) => r.statements))} statements each`);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'segment:bulk-%'`)).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:bulk-%'`)).toBe(1500);
  });
});

describe("outbox retention", () => {
  it("deletes delivered and skipped actions past OUTBOX_RETENTION_DAYS, and keeps pending ones and those the loyalty program points at", async () => {
    const old = Date.now() - (OUTBOX_RETENTION_DAYS + 1) * DAY;
    const row = (id: string, status: string, at: number) =>
      env.DB.prepare(
        `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, 'cu_o', 'slack', 'slack.alert', '{}', ?, 1, ?, ?, ?)`,
      ).bind(id, status, at, at, at);
    await env.DB.batch([
      row("old-delivered", "delivered", old),
      row("old-skipped", "skipped", old),
      row("old-pending", "pending", old),
      row("old-credit", "delivered", old),
      row("new-delivered", "delivered", Date.now()),
      env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, action_id, rules_version, at) VALUES ('l1', 'cu_o', 'referral.paid', 'old-credit', 'v', ?)`).bind(old),
    ]);
    await prune(Date.now());
    const { results } = await env.DB.prepare(`SELECT id FROM outbox WHERE customer_id = 'cu_o' ORDER BY id`).all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(["new-delivered", "old-credit", "old-pending"]);
  });
});

describe("referral click counters", () => {
  const dayAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString().slice(0, 10);
  const clicks = async () =>
    (await env.DB.prepare(`SELECT code, day, clicks FROM referral_clicks WHERE code LIKE 'RC-%' ORDER BY code, day`).all<{ code: string; day: string; clicks: number }>()).results;
  const totals = async () => (await env.DB.prepare(`SELECT code, SUM(clicks) AS n FROM referral_clicks WHERE code LIKE 'RC-%' GROUP BY code ORDER BY code`).all()).results;

  it("fold days older than the retention into one total per code: the table grows with codes, a code's total never changes", async () => {
    const add = env.DB.prepare(`INSERT INTO referral_clicks (code, day, clicks) VALUES (?, ?, ?)`);
    const rows: [string, string, number][] = [];
    // More codes with old days than one statement folds, so the step runs in several chunks.
    for (let c = 0; c < ROWS_PER_STATEMENT + 5; c++) rows.push([`RC-${String(c).padStart(5, "0")}`, dayAgo(500), 2], [`RC-${String(c).padStart(5, "0")}`, dayAgo(450), 3]);
    rows.push(["RC-00000", dayAgo(10), 7]);
    for (let i = 0; i < rows.length; i += 200) await env.DB.batch(rows.slice(i, i + 200).map((r) => add.bind(...r)));
    const before = await totals();

    await prune(Date.now());
    expect(await totals()).toEqual(before);
    const after = await clicks();
    expect(after.filter((r) => r.code === "RC-00000")).toEqual([
      { code: "RC-00000", day: dayAgo(10), clicks: 7 },
      { code: "RC-00000", day: "before", clicks: 5 },
    ]);
    expect(after.every((r) => r.day === "before" || r.day >= dayAgo(400))).toBe(true);
    expect(after).toHaveLength(ROWS_PER_STATEMENT + 5 + 1);

    // Another daily run folds nothing twice.
    await prune(Date.now());
    expect(await clicks()).toEqual(after);
  });
});

describe("vendor associations", () => {
  it("are deleted ASSOCIATION_RETENTION_DAYS after they were fetched; newer ones stay", async () => {
    const add = env.DB.prepare(`INSERT INTO associations (object_kind, object_value, to_kind, to_value, rank, fetched_at) VALUES (?, ?, 'hubspot', '1001', 0, ?)`);
    await env.DB.batch([
      add.bind("hubspot_deal", "old-deal", Date.now() - (ASSOCIATION_RETENTION_DAYS + 1) * DAY),
      add.bind("hubspot_ticket", "new-ticket", Date.now() - (ASSOCIATION_RETENTION_DAYS - 1) * DAY),
    ]);
    await prune(Date.now());
    const left = await env.DB.prepare(`SELECT object_value FROM associations WHERE object_value IN ('old-deal', 'new-ticket')`).all<{ object_value: string }>();
    expect(left.results.map((r) => r.object_value)).toEqual(["new-ticket"]);
  });
});

describe("inbox retention for declared sources", () => {
  it("deletes a declared source's processed rows after its window, keeps younger ones and every row it has work for", async () => {
    const now = Date.now();
    const row = (id: string, status: string, ageDays: number) =>
      env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES (?, 'acme-billing', 'charge', ?, ?, ?, '[]')`).bind(
        id,
        status,
        now - ageDays * DAY,
        now - ageDays * DAY,
      );
    await env.DB.batch([
      row("acme-billing:old", "processed", DECLARED_DEDUPE_WINDOW_DAYS + 1),
      row("acme-billing:old-ignored", "ignored", DECLARED_DEDUPE_WINDOW_DAYS + 1),
      row("acme-billing:young", "processed", DECLARED_DEDUPE_WINDOW_DAYS - 1),
      row("acme-billing:failed", "failed", DECLARED_DEDUPE_WINDOW_DAYS + 30),
    ]);
    await prune(now);
    const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE source = 'acme-billing' ORDER BY id`).all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(["acme-billing:failed", "acme-billing:young"]);
  });
});

describe("retention of applied carried deliveries (their ids in applied_deliveries)", () => {
  it("deletes each source's ids after its window, a declared source's after the declared window, younger ones stay, across pages", async () => {
    const now = Date.now();
    const bulk = 25_000;
    // Straight into D1: Segment ids past its window (more than one page), and some inside it.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO applied_deliveries (id, source, vendor_type, occurred_at, received_at, applied_at, customer_id)
       SELECT 'segment:applied-old-' || i, 'segment', 'track', ?2, ?2, ?2, 'cu_x' FROM n`,
    )
      .bind(bulk, now - (DEDUPE_WINDOW_DAYS.segment + 1) * DAY)
      .run();
    const one = (id: string, source: string, ageDays: number) =>
      env.DB.prepare(`INSERT INTO applied_deliveries (id, source, vendor_type, occurred_at, received_at, applied_at, customer_id) VALUES (?1, ?2, 'track', ?3, ?3, ?3, NULL)`).bind(
        id,
        source,
        now - ageDays * DAY,
      );
    await env.DB.batch([
      one("segment:applied-young", "segment", DEDUPE_WINDOW_DAYS.segment - 1),
      one("acme-usage:applied-old", "acme-usage", DECLARED_DEDUPE_WINDOW_DAYS + 1),
      one("acme-usage:applied-young", "acme-usage", DEDUPE_WINDOW_DAYS.segment + 1),
    ]);

    const runs = await prune(now);
    expect(runs.length).toBeGreaterThanOrEqual(Math.ceil(bulk / (CHUNKS_PER_PAGE * ROWS_PER_STATEMENT)));
    for (const r of runs) expect(r.statements, JSON.stringify(r.body)).toBeLessThanOrEqual(4 * CHUNKS_PER_PAGE);
    const { results } = await env.DB.prepare(`SELECT id FROM applied_deliveries WHERE id LIKE '%:applied-%' ORDER BY id`).all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(["acme-usage:applied-young", "segment:applied-young"]);
  });
});

describe("the hourly run of the applied ids' retention", () => {
  it("deletes the ids past their window within the hour, touches no inbox row, and starts none of the daily jobs", async () => {
    const now = Date.now();
    const old = now - (DEDUPE_WINDOW_DAYS.segment * DAY + 30 * 60_000);
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO applied_deliveries (id, source, vendor_type, occurred_at, received_at, applied_at, customer_id) VALUES ('segment:hourly-old', 'segment', 'track', ?1, ?1, ?1, NULL)`).bind(old),
      env.DB.prepare(`INSERT INTO applied_deliveries (id, source, vendor_type, occurred_at, received_at, applied_at, customer_id) VALUES ('segment:hourly-young', 'segment', 'track', ?1, ?1, ?1, NULL)`).bind(now - 60_000),
      env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES ('segment:hourly-inbox-old', 'segment', 'track', 'processed', ?1, ?1, '[]')`).bind(old),
    ]);
    const h = jobHarness();
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: "7 * * * *", scheduledTime: now }), h.env as never, ctx);
    await waitOnExecutionContext(ctx);
    const runs = await runPages(h, h.events.sent.splice(0));
    const jobs = runs.map((r) => (r.body as { job?: string; recomputeAfter?: string }).job ?? "recompute");
    expect(jobs).toContain("prune-inbox");
    expect(runs.filter((r) => (r.body as { job?: string }).job === "prune-inbox").every((r) => (r.body as { only?: string }).only === "applied")).toBe(true);
    expect(jobs.filter((j) => j !== "prune-inbox" && (DAILY_JOBS as readonly string[]).includes(j))).toEqual([]);
    const left = await env.DB.prepare(`SELECT id FROM applied_deliveries WHERE id LIKE 'segment:hourly-%' ORDER BY id`).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual(["segment:hourly-young"]);
    expect(await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = 'segment:hourly-inbox-old'`).first()).toEqual({ status: "processed" });
  });
});
