import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SWEEP_AFTER_MS } from "../../src/cron";
import { loadConfig } from "../../src/env";
import worker from "../../src/index";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { runQueue } from "../support/drain";
import { capturingQueue } from "../support/jobs";
import { editedFixture } from "../support/fixtures";
import { signStripe } from "../support/sign/stripe";

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const queueDown = () => ({ ...capturingQueue(), sendBatch: () => Promise.reject(new Error("queue unavailable")) }) as unknown as Queue<unknown>;

/** A signed invoice.paid delivery, answered by the Worker with `queue` as its events queue. */
async function deliver(id: string, queue: Queue<unknown>): Promise<Response> {
  const body = editedFixture("stripe", "invoice.paid.first", (ev) => {
    ev.id = id;
    ev.created = Math.floor(Date.now() / 1000) - 60;
    ev.data.object.id = `in_${id}`;
  });
  const req = new Request("https://tenure.example.com/webhooks/stripe", { method: "POST", body, headers: { "content-type": "application/json", ...(await signStripe(body)) } });
  const ctx = createExecutionContext();
  const res = await worker.fetch!(req as never, { ...env, EVENTS: queue } as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The 2-minute cron at `at`, its sends captured; returns them and the warnings it logged. */
async function sweepAt(at: number): Promise<{ sent: unknown[]; warnings: Record<string, unknown>[] }> {
  const events = capturingQueue();
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ cron: "*/2 * * * *", scheduledTime: at }), { ...env, EVENTS: events, ACTIONS: capturingQueue() } as never, ctx);
  await waitOnExecutionContext(ctx);
  const warnings = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
  warn.mockRestore();
  return { sent: events.sent, warnings };
}

async function health(): Promise<{ sweeper: { rescued: number; lastRescueAt: string | null } }> {
  return (await SELF.fetch("https://tenure.example.com/health")).json();
}

describe("the sweeper, the safety net behind each request's own hand-off", () => {
  it("rescues a committed row whose queue send failed, counts it in /health and warns", async () => {
    expect((await health()).sweeper).toEqual({ rescued: 0, lastRescueAt: null });
    const res = await deliver("evt_sweep_lost", queueDown());
    expect(res.status).toBe(200);
    // A row a consumer already tried (and crashed on) is re-enqueued too, but it was handed over: not a rescue.
    expect((await deliver("evt_sweep_crashed", capturingQueue())).status).toBe(200);
    await env.DB.prepare(`UPDATE inbox_events SET attempts = 1 WHERE id = 'stripe:evt_sweep_crashed'`).run();

    // Within the threshold the sweeper leaves both alone: the queue may still be on its way.
    expect((await sweepAt(Date.now() + 1_000)).sent).toEqual([]);

    const at = Date.now() + SWEEP_AFTER_MS + 60_000;
    const first = await sweepAt(at);
    expect(first.sent).toEqual(expect.arrayContaining([{ eventId: "stripe:evt_sweep_lost" }, { eventId: "stripe:evt_sweep_crashed" }]));
    expect(first.warnings).toContainEqual(expect.objectContaining({ level: "warn", msg: "sweeper rescued inbox rows never handed to the queue", rescued: 1 }));
    expect((await health()).sweeper).toEqual({ rescued: 1, lastRescueAt: new Date(at).toISOString() });

    await runQueue("tenure-events", first.sent);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'received'`).first<{ n: number }>())!;
    expect(n).toBe(0);

    // Nothing left to rescue: the count stays, and no warning.
    const second = await sweepAt(at + SWEEP_AFTER_MS);
    expect(second.sent).toEqual([]);
    expect(second.warnings).toEqual([]);
    expect((await health()).sweeper).toEqual({ rescued: 1, lastRescueAt: new Date(at).toISOString() });
  });
});
