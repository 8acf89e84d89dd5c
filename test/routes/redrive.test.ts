import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { listedEventDelivery } from "../../src/reconcile";
import { REDRIVE_LIMIT } from "../../src/routes/redrive";
import { inboxRow, saveDeliveries } from "../../src/store/inbox";
import { applyReceived } from "../backfill/apply";
import { login, post } from "../dashboard/seed";
import { ADMIN, runQueue } from "../support/drain";
import { editedFixture } from "../support/fixtures";

const BASE = "https://tenure.example.com";

const redrive = (body: string | object | undefined) =>
  SELF.fetch(`${BASE}/api/events/redrive`, {
    method: "POST",
    headers: { ...ADMIN, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });

const statusOf = async (id: string) => env.DB.prepare(`SELECT status, attempts, reason FROM inbox_events WHERE id = ?`).bind(id).first<{ status: string; attempts: number; reason: string | null }>();

/** A Stripe customer event as the webhook route stores it (not enqueued), then dead-lettered the way the queue does it. */
async function failedStripeEvent(n: number): Promise<string> {
  const event = JSON.parse(
    editedFixture("stripe", "customer.created", (e) => {
      e.id = `evt_redrive_${n}`;
      e.data.object.id = `cus_redrive_${n}`;
      e.data.object.email = `owner@redrive${n}.example`;
      e.data.object.metadata = {};
    }),
  );
  const now = Date.now();
  const [id] = await saveDeliveries(env.DB, [inboxRow("stripe", listedEventDelivery(event, now), now, "test")]);
  expect(id).toBe(`stripe:evt_redrive_${n}`);
  await runQueue("tenure-events-dlq", [{ eventId: id }]);
  expect(await statusOf(id!)).toMatchObject({ status: "failed", reason: expect.stringMatching(/dead-lettered/) });
  return id!;
}

describe("POST /api/events/redrive", () => {
  it("puts a failed event back to received with its attempts reset, and it is then processed", async () => {
    const id = await failedStripeEvent(1);
    const res = await redrive({ ids: [id] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ redriven: 1, ids: [id], more: false });
    await applyReceived();
    expect(await statusOf(id)).toMatchObject({ status: "processed", reason: null });
    const customer = await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'stripe' AND value = 'cus_redrive_1'`).first();
    expect(customer).not.toBeNull();
    // Nothing failed is left: a second call re-drives nothing.
    expect(await (await redrive({ ids: [id] })).json()).toEqual({ redriven: 0, ids: [], more: false });
  });

  it("filters by source and receipt time, at most REDRIVE_LIMIT per call, and says when more remain", async () => {
    const t = 1_000_000;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized, reason, attempts)
       SELECT printf('api:bulk-%04d', i), 'api', 'test', 'failed', ?2 + i, ?2 + i, '[]', 'dead-lettered', 10 FROM n`,
    )
      .bind(REDRIVE_LIMIT + 20, t)
      .run();
    const other = await failedStripeEvent(2);

    const none = await redrive({ source: "api", from: t + REDRIVE_LIMIT + 21 });
    expect(await none.json()).toEqual({ redriven: 0, ids: [], more: false });

    const first = await (await redrive({ source: "api" })).json<{ redriven: number; ids: string[]; more: boolean }>();
    expect(first).toMatchObject({ redriven: REDRIVE_LIMIT, more: true });
    expect(first.ids[0]).toBe("api:bulk-0001");
    expect(await statusOf("api:bulk-0001")).toMatchObject({ status: "received", attempts: 0, reason: null });
    const second = await (await redrive({ source: "api", to: t + REDRIVE_LIMIT + 10 })).json<{ redriven: number; more: boolean }>();
    expect(second).toEqual({ redriven: 10, ids: expect.any(Array), more: false });
    // The Stripe event was outside every filter.
    expect(await statusOf(other)).toMatchObject({ status: "failed" });
  });

  it("refuses bad input with a 400 JSON error and changes nothing", async () => {
    const id = await failedStripeEvent(3);
    for (const body of [
      "{not json",
      "[]",
      { ids: "stripe:evt_1" },
      { ids: [] },
      { ids: Array.from({ length: REDRIVE_LIMIT + 1 }, (_, i) => `x:${i}`) },
      { from: -1 },
      { from: "yesterday" },
      { from: 10, to: 5 },
      { source: "mailchimp" },
      { status: "processed" },
    ]) {
      const res = await redrive(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect((await res.json<{ error: { code: string; message: string } }>()).error).toMatchObject({ code: "bad_request", message: expect.any(String) });
    }
    expect(await statusOf(id)).toMatchObject({ status: "failed" });
  });

  it("the dashboard's Outbox page shows failed events and its button re-drives them", async () => {
    const session = await login();
    const id = await failedStripeEvent(4);
    const failed = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'failed'`).first<{ n: number }>())!.n;
    const page = await (await SELF.fetch(`${BASE}/outbox`, { headers: { cookie: session.cookie } })).text();
    expect(page).toContain(`${failed} failed on every retry.`);
    expect(page).toContain('action="/outbox/redrive-events"');

    const res = await post("/outbox/redrive-events", session.cookie, { _csrf: session.csrf, source: "stripe" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/outbox\?notice=redriven&n=\d+&more=0$/);
    expect(await statusOf(id)).toMatchObject({ status: expect.stringMatching(/^(received|processed)$/), reason: null });
    const notice = await (await SELF.fetch(`${BASE}${res.headers.get("location")}`, { headers: { cookie: session.cookie } })).text();
    expect(notice).toMatch(/\d+ failed events re-queued\./);
  });
});
