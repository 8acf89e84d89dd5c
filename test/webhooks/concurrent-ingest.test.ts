import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/env";
import worker from "../../src/index";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { capturingQueue } from "../support/jobs";
import { runQueue } from "../support/drain";
import { editedFixture } from "../support/fixtures";
import { signStripe } from "../support/sign/stripe";

// The consumers run for real in these tests; whatever they send out reaches the fakes, never the network.
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const URL_STRIPE = "https://tenure.example.com/webhooks/stripe";

/** A new invoice.paid delivery, dated a minute ago, for one of eight customers. */
function invoicePaid(id: string, k: number): string {
  return editedFixture("stripe", "invoice.paid.first", (ev) => {
    ev.id = id;
    ev.created = Math.floor(Date.now() / 1000) - 60;
    ev.data.object.id = `in_${id}`;
    ev.data.object.customer = `cus_concurrent_${k % 8}`;
    ev.data.object.customer_email = `ops@concurrent-${k % 8}.example`;
  });
}

async function statuses(ids: string[]): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM inbox_events WHERE id IN (SELECT value FROM json_each(?)) GROUP BY status`)
    .bind(JSON.stringify(ids))
    .all<{ status: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

interface Answer {
  id: string;
  status: number;
  contentType: string | null;
  body: { received?: number; duplicates?: number };
}

describe("concurrent webhook deliveries, each a request of its own", () => {
  it("answers 64 deliveries and their concurrent duplicates 2xx JSON, stores each once, and every row is applied from the queue", async () => {
    const ids = Array.from({ length: 64 }, (_, i) => `evt_concurrent_${i}`);
    const bodies = new Map(ids.map((id, i) => [id, invoicePaid(id, i)]));
    // Every fourth delivery is sent twice at once, as a vendor's retry racing its original does.
    const sends = [...ids, ...ids.filter((_, i) => i % 4 === 0)];
    const answers = await Promise.all(
      sends.map(async (id): Promise<Answer> => {
        const body = bodies.get(id)!;
        const res = await SELF.fetch(URL_STRIPE, { method: "POST", body, headers: { "content-type": "application/json", ...(await signStripe(body)) } });
        return { id, status: res.status, contentType: res.headers.get("content-type"), body: await res.json() };
      }),
    );

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.every((a) => a.contentType?.startsWith("application/json"))).toBe(true);
    // Of the copies of one delivery, exactly one stored it; the others were told they were duplicates.
    for (const id of ids) {
      const copies = answers.filter((a) => a.id === id);
      expect(copies.map((a) => a.body.received)).toEqual(copies.map(() => 1));
      expect(copies.reduce((n, a) => n + (a.body.duplicates ?? 0), 0), id).toBe(copies.length - 1);
    }
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_concurrent_%'`).first<{ n: number }>())!;
    expect(n).toBe(64);

    // The requests' own sends are what gets the rows applied: the local queue delivers them to the consumer,
    // and neither the sweeper nor a scan of the inbox runs here.
    const rowIds = ids.map((id) => `stripe:${id}`);
    await vi.waitFor(async () => expect(await statuses(rowIds)).toEqual({ processed: 64 }), { timeout: 25_000, interval: 250 });
  });

  it("hands each new row to the queue before answering, and a queue that fails still gets a 2xx", async () => {
    const events = capturingQueue();
    const ids = Array.from({ length: 16 }, (_, i) => `evt_handoff_${i}`);
    const post = async (id: string, queue: Queue<unknown>) => {
      const body = invoicePaid(id, 0);
      const ctx = createExecutionContext();
      const req = new Request(URL_STRIPE, { method: "POST", body, headers: { "content-type": "application/json", ...(await signStripe(body)) } });
      const res = await worker.fetch!(req as never, { ...env, EVENTS: queue } as never, ctx);
      const sentBeforeAnswer = [...events.sent];
      await waitOnExecutionContext(ctx);
      return { res, sentBeforeAnswer };
    };

    const answered = await Promise.all(ids.map((id) => post(id, events)));
    expect(answered.map((a) => a.res.status)).toEqual(ids.map(() => 200));
    // Each request's row was already on the queue when that request answered.
    answered.forEach((a, i) => expect(a.sentBeforeAnswer).toContainEqual({ eventId: `stripe:${ids[i]}` }));
    expect(events.sent).toHaveLength(ids.length);

    const down = { ...capturingQueue(), sendBatch: () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue<unknown>;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const lost = await post("evt_handoff_lost", down);
    expect(lost.res.status).toBe(200);
    expect(await lost.res.json()).toMatchObject({ received: 1, duplicates: 0 });
    expect(warn.mock.calls.map(([line]) => JSON.parse(String(line)).msg)).toContain("enqueue failed; the sweeper will pick these up");
    warn.mockRestore();

    // A retry of the delivery whose hand-off was lost is a duplicate, and hands the row over again.
    const retried = await post("evt_handoff_lost", events);
    expect(await retried.res.json()).toMatchObject({ received: 1, duplicates: 1 });
    expect(events.sent).toContainEqual({ eventId: "stripe:evt_handoff_lost" });

    await runQueue("tenure-events", events.sent);
    expect(await statuses([...ids, "evt_handoff_lost"].map((id) => `stripe:${id}`))).toEqual({ processed: 17 });
  });

  it("turns a storage failure into a JSON 500, whatever was thrown", async () => {
    for (const thrown of [new Error("D1_ERROR: database is locked"), "a bare string"]) {
      const db = { ...env.DB, prepare: env.DB.prepare.bind(env.DB), batch: () => Promise.reject(thrown) } as unknown as D1Database;
      const body = invoicePaid(`evt_broken_${typeof thrown}`, 0);
      const req = new Request(URL_STRIPE, { method: "POST", body, headers: { "content-type": "application/json", ...(await signStripe(body)) } });
      const error = vi.spyOn(console, "error").mockImplementation(() => {});
      const res = await worker.fetch!(req as never, { ...env, DB: db } as never, createExecutionContext());
      error.mockRestore();
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ error: { code: "internal" } });
    }
  });
});
