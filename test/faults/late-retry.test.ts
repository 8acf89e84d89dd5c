import { env } from "cloudflare:test";
import { afterAll, expect, it, vi } from "vitest";
import { insertActionStmts } from "../../src/store/outbox";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { Broker, Chaos, consume, Crash, cron, installCrashingFetch, type Invocation, type World } from "./chaos";

/*
 * A Stripe credit whose answer is lost (the worker dies right after Stripe answered) and whose retries then
 * meet a Stripe outage for 30 hours. By the time a retry gets through, Stripe may have pruned the
 * Idempotency-Key (the fake always does after 24 h), so the key alone would pay the credit twice.
 */
const HOUR = 3_600_000;
const cfg = loadConfig(env);
const fakes = createFakes(cfg, { now: () => Date.now() });
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => {
  server.close();
  vi.useRealTimers();
});

/** Crashes one invocation at one named point, once; nothing else fails. */
class CrashOnceAt extends Chaos {
  done = false;
  constructor(private readonly target: string) {
    super(() => 1, 0);
  }

  override at(point: string, inv: Invocation): void {
    const key = `${inv.label} ${point}`;
    if (inv.dead) throw new Crash(`${key} (after an earlier crash)`);
    if (this.done || key !== this.target) return;
    this.done = true;
    inv.dead = true;
    throw new Crash(key);
  }
}

const rowOf = (id: string) => env.DB.prepare(`SELECT status, attempts, next_attempt_at FROM outbox WHERE id = ?`).bind(id).first<{ status: string; attempts: number; next_attempt_at: number }>();

/** Runs the actions queue (and the sweeper when nothing is queued) until the action is no longer pending. */
async function runUntilSettled(world: World, id: string, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    const msgs = world.broker.take();
    if (msgs.length > 0) {
      await consume(world, msgs);
      continue;
    }
    const row = await rowOf(id);
    if (row?.status !== "pending") return;
    const next = world.broker.nextVisibleAt();
    if (next === null) {
      vi.setSystemTime(Math.max(Date.now(), row.next_attempt_at) + 120_000);
      await cron(world, "*/2 * * * *");
      continue;
    }
    vi.setSystemTime(Math.max(Date.now() + 1, next));
  }
}

it("a Stripe credit whose outcome was lost, retried 30 hours later, is paid exactly once", { timeout: 120_000 }, async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  const t0 = Date.UTC(2026, 10, 2, 9, 0, 0);
  vi.setSystemTime(t0);
  const customer = fakes.stripe.state.addCustomer({ email: "ops@late.example" });
  const id = "referral.credit:late-retry";
  await env.DB.batch(
    insertActionStmts(env.DB, [{ id, customerId: null, payload: { type: "stripe.credit", stripeCustomerId: customer.id, amount: -2_500, currency: "usd", description: "Referral credit", metadata: {} } }], t0),
  );

  const chaos = new CrashOnceAt("actions fetch stripe.fake:after");
  const broker = new Broker({ "tenure-actions": { maxRetries: 20, dlq: "tenure-actions-dlq", maxBatch: 100 }, "tenure-actions-dlq": { maxRetries: 3, maxBatch: 100 } }, () => Date.now());
  const world: World = { env: env as never, chaos, broker, gates: new Map(), unexpected: [] };
  const restoreFetch = installCrashingFetch(chaos);
  const quiet = (["log", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
  try {
    broker.push("tenure-actions", { actionId: id });
    // The first attempt: Stripe credits the customer, the worker dies before it records the answer.
    await consume(world, broker.take());
    expect(chaos.done).toBe(true);
    expect(fakes.stripe.state.balanceTransactions).toHaveLength(1);
    expect(await rowOf(id)).toMatchObject({ status: "pending", attempts: 0 });
    fakes.stripe.outage(t0 + 30 * HOUR);
    await runUntilSettled(world, id, 48 * HOUR);
  } finally {
    restoreFetch();
    for (const q of quiet) q.mockRestore();
  }

  expect(world.unexpected).toEqual([]);
  expect(Date.now()).toBeGreaterThan(t0 + 30 * HOUR);
  expect(await rowOf(id)).toMatchObject({ status: "delivered" });
  const credits = fakes.stripe.state.balanceTransactions.filter((t) => t.customer === customer.id);
  expect(credits).toHaveLength(1);
  expect(fakes.stripe.state.customers.get(customer.id)!.balance).toBe(-2_500);
  // Retries did reach Stripe during the outage, and the one after it looked the credit up instead of paying again.
  expect(fakes.stripe.requests.filter((r) => r.status === 503).length).toBeGreaterThan(3);
  expect(fakes.stripe.requests.at(-1)).toMatchObject({ method: "GET", status: 200 });
});
