import { env } from "cloudflare:test";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { emptyState } from "../../src/core/state";
import { DAILY_JOBS, firstPage } from "../../src/jobs/daily";
import { CHUNKS_PER_PAGE } from "../../src/jobs/prune-inbox";
import { retryDelaySeconds } from "../../src/jobs/run";
import { PRUNE_STEPS } from "../../src/store/retention";
import { jobHarness, runDaily, runPages } from "../support/jobs";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";

// The chain reads HubSpot's survey responses (src/jobs/hubspot-feedback.ts): an empty portal answers.
const fakeVendors = startFakeServer(createFakes(loadConfig(env)), basesOf(loadConfig(env)));
afterAll(() => fakeVendors.close());

/**
 * D1 allows 1,000 queries per invocation; every page stays far below, with room for the events that share its
 * queue batch. Round trips and statements (each statement of a batch counted) are both held to it.
 */
const PAGE_CALLS = 250;
const PAGE_STATEMENTS = 400;
const CUSTOMERS = 230;

afterEach(() => vi.restoreAllMocks());

/** A D1 that refuses every statement, as during an outage. */
function unavailableD1(): D1Database {
  const down = () => {
    throw new Error("D1 is unavailable");
  };
  return { prepare: down, batch: async () => down(), exec: async () => down() } as unknown as D1Database;
}

const jobOf = (body: unknown) => {
  const b = body as { job?: string; phase?: string; recomputeAfter?: string };
  return b.job ? `${b.job}${b.phase ? `:${b.phase}` : ""}` : b.recomputeAfter !== undefined ? "recompute" : "event";
};

describe("daily jobs", () => {
  it("the cron only starts the chain; each page stays within its budget and hands over to the next until every job is done", async () => {
    const state = JSON.stringify(emptyState());
    const now = Date.now();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO customers (id, name, state, created_at, updated_at) SELECT printf('cu_%04d', i), 'Customer ' || i, ?2, ?3, ?3 FROM n`,
    )
      .bind(CUSTOMERS, state, now)
      .run();

    // Without a Stripe key reconciliation is skipped at once (its paging is covered in test/reconcile).
    const h = jobHarness({ vars: { STRIPE_SECRET_KEY: "" } });
    const { cron, runs } = await runDaily(h, now);
    expect(cron.calls).toBe(0);
    expect(cron.started).toEqual([firstPage("loyalty-daily", now)]);

    expect(runs.filter((r) => r.retried)).toEqual([]);
    for (const r of runs) {
      expect(r.calls, `${jobOf(r.body)} ${JSON.stringify(r.body)}`).toBeLessThan(PAGE_CALLS);
      expect(r.statements, `${jobOf(r.body)} ${JSON.stringify(r.body)}`).toBeLessThan(PAGE_STATEMENTS);
    }
    const pages = (job: string) => runs.filter((r) => jobOf(r.body) === job).length;
    // 230 customers at 100 a page: three pages each, and then nothing is left to send.
    expect(pages("recompute")).toBe(3);
    expect(pages("loyalty-daily:occasions")).toBe(3);
    expect(pages("loyalty-daily:referrals")).toBe(1);
    // Nothing to delete: every retention step is one short chunk.
    expect(pages("prune-inbox")).toBe(Math.ceil(PRUNE_STEPS.length / CHUNKS_PER_PAGE));
    expect(pages("reconcile-stripe")).toBe(1);
    // HubSpot's owners (names and emails) are planned as one outbox action for the day; its pages plan each other.
    expect(pages("hubspot-owners")).toBe(1);
    // No survey responses in the look-back: one empty search page.
    expect(pages("hubspot-feedback")).toBe(1);
    const owners = await env.DB.prepare(`SELECT id, status FROM outbox WHERE type = 'hubspot.owners_page'`).all();
    expect(owners.results).toEqual([{ id: `hubspot.owners:${new Date(now).toISOString().slice(0, 10)}:first`, status: "pending" }]);
    // One job after the other, in the daily order, one page in flight at a time.
    const order = runs.map((r) => jobOf(r.body).split(":")[0]).filter((j, i, all) => j !== all[i - 1]);
    expect(order).toEqual([...DAILY_JOBS]);
    console.log(
      `daily jobs: ${runs.length} queue invocations, D1 calls per page at most ${Math.max(...runs.map((r) => r.calls))} (statements ${Math.max(...runs.map((r) => r.statements))})`,
    );
  });

  it("a page that fails on every retry is retried with backoff, then dead-lettered: logged and acked, and the next job starts", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const h = jobHarness({ db: unavailableD1() });
    const asOf = Date.now();
    const runs = await runPages(h, [firstPage("prune-inbox", asOf)], { maxRetries: 3 });

    // Prune fails four times, is dead-lettered; the recompute (the last job) starts, fails the same way, and the chain ends.
    expect(runs.map((r) => [jobOf(r.body), r.queue, r.attempts, r.retried, r.acked])).toEqual([
      ["prune-inbox", "tenure-events", 1, true, false],
      ["prune-inbox", "tenure-events", 2, true, false],
      ["prune-inbox", "tenure-events", 3, true, false],
      ["prune-inbox", "tenure-events", 4, true, false],
      ["prune-inbox", "tenure-events-dlq", 1, false, true],
      ["recompute", "tenure-events", 1, true, false],
      ["recompute", "tenure-events", 2, true, false],
      ["recompute", "tenure-events", 3, true, false],
      ["recompute", "tenure-events", 4, true, false],
      ["recompute", "tenure-events-dlq", 1, false, true],
    ]);
    expect(runs.every((r) => r.error === undefined)).toBe(true);
    const dead = errors.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("failed on every retry"));
    expect(dead.map((l) => JSON.parse(l))).toMatchObject([
      { level: "error", job: "prune-inbox", step: 0, asOf },
      { level: "error", job: "recompute", after: "", asOf },
    ]);
    // The delay each retry asks for (the test runtime does not report it back): 30 s doubling to 10 min.
    expect([1, 2, 3, 4, 5, 6, 10].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 480, 600, 600]);
  });

  it("a job message it cannot read is logged and dropped, not retried", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const h = jobHarness();
    const runs = await runPages(h, [{ job: "compact-everything", asOf: 1 }, { job: "prune-inbox", asOf: -5, step: 0 }]);
    expect(runs.map((r) => [r.retried, r.acked])).toEqual([
      [false, true],
      [false, true],
    ]);
    expect(errors.mock.calls.filter((c) => String(c[0]).includes("unreadable job message dropped"))).toHaveLength(2);
  });
});
