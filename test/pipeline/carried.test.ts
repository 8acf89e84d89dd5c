import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/core/config";
import { applyGroups, resolveEvents } from "../../src/pipeline";
import { MAX_CARRIED_BYTES, sendCarried, splitCarried, type CarriedDelivery } from "../../src/store/carried";
import { inboxRow } from "../../src/store/inbox";
import { carriedApp } from "../support/carried";
import { KEPT_DELIVERIES } from "../support/inbox";
import { ADMIN, drain, runQueue } from "../support/drain";
import { signSegment } from "../support/sign/segment";

const URL_ = "https://tenure.example.com/webhooks/segment";
const SECRET = "segment_secret";
const HOUR = 3_600_000;

let n = 0;
function track(o: { group?: string; user?: string; email?: string; at?: number; props?: Record<string, unknown> } = {}) {
  const id = ++n;
  return JSON.stringify({
    type: "track",
    event: "Report Exported",
    userId: o.user ?? `carried_user_${id}`,
    messageId: `carried-${id}-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(o.at ?? Date.now() - HOUR).toISOString(),
    context: { ...(o.group ? { groupId: o.group } : {}), traits: { email: o.email ?? `u${id}@carried${id}.example` } },
    properties: o.props ?? { format: "csv" },
  });
}

async function send(app: ReturnType<typeof carriedApp>, body: string) {
  return app.post(URL_, body, await signSegment(SECRET, body));
}

/** The delivery as kept: its inbox row, or (applied) its id in applied_deliveries, without facts or body. */
const rowOf = (id: string) =>
  env.DB.prepare(
    `SELECT 'inbox' AS kept, status, customer_id, attempts, payload IS NOT NULL AS raw, normalized FROM inbox_events WHERE id = ?1
     UNION ALL SELECT 'applied', 'processed', customer_id, NULL, 0, NULL FROM applied_deliveries WHERE id = ?1`,
  )
    .bind(id)
    .first<{ kept: string; status: string; customer_id: string | null; attempts: number | null; raw: number; normalized: string | null }>();

const deliveryIdOf = (body: string) => `segment:${(JSON.parse(body) as { messageId: string }).messageId}`;

async function customerOf(group: string) {
  const row = await env.DB.prepare(`SELECT c.id, c.version, c.state FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'segment_group' AND i.value = ?`)
    .bind(group)
    .first<{ id: string; version: number; state: string }>();
  return row;
}

describe("deliveries carried on the events queue (QUEUE_CARRIED_SOURCES)", () => {
  it("answers 2xx once the queue has the delivery, writes nothing to D1 at ingest, and records its id with the commit that applies it", async () => {
    const app = carriedApp();
    const body = track({ group: "acct_carried_1" });
    const res = await send(app, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, duplicates: 0, ignored: 0, queued: 1 });
    expect(await rowOf(deliveryIdOf(body))).toBeNull();
    expect(app.sent).toHaveLength(1);

    const [run] = await app.apply();
    expect(run!.explicitAcks).toHaveLength(1);
    const customer = (await customerOf("acct_carried_1"))!;
    // Applied, it is an id and where it went; its facts are in the customer's state.
    expect(await rowOf(deliveryIdOf(body))).toEqual({ kept: "applied", status: "processed", customer_id: customer.id, attempts: null, raw: 0, normalized: null });
    expect(JSON.parse(customer.state).usage.events["Report Exported"]).toBeTruthy();
    const listed = await (await app.get("https://tenure.example.com/api/events?source=segment&limit=500", ADMIN)).json<{ events: { id: string; status: string; customerId: string; attempts: number | null }[] }>();
    expect(listed.events.find((e) => e.id === deliveryIdOf(body))).toMatchObject({ status: "processed", customerId: customer.id, attempts: null });
  });

  it("/health shows what waits on the events queue, where a carried delivery has no inbox row yet", async () => {
    const app = carriedApp();
    await send(app, track({ group: "acct_carried_health" }));
    const before = await (await app.get("https://tenure.example.com/health")).json<{ queues: { events: { backlog: number | null } } }>();
    expect(before.queues.events.backlog).toBe(1);
    await app.apply();
    const after = await (await app.get("https://tenure.example.com/health")).json<{ queues: { events: { backlog: number | null } } }>();
    expect(after.queues.events.backlog).toBe(0);
  });

  it("applies a delivery once however often it comes: a vendor's retry, two messages in one batch, a later redelivery", async () => {
    const app = carriedApp();
    const body = track({ group: "acct_carried_2" });
    await send(app, body);
    const message = app.sent[0];
    await app.apply();
    const once = (await customerOf("acct_carried_2"))!;

    await send(app, body);
    await send(app, body);
    expect(app.sent).toHaveLength(2);
    const [run] = await app.apply();
    expect(run!.explicitAcks).toHaveLength(2);
    await runQueue("tenure-events", [message], app.overrides);
    const after = (await customerOf("acct_carried_2"))!;
    expect(after.version).toBe(once.version);
    expect(after.state).toBe(once.state);
    const { c } = (await env.DB.prepare(`SELECT COUNT(*) AS c FROM ${KEPT_DELIVERIES} WHERE id = ?`).bind(deliveryIdOf(body)).first<{ c: number }>())!;
    expect(c).toBe(1);
  });

  it("two consumers that both found the delivery new: the second commit is refused on the row's key and its retry applies nothing", async () => {
    const app = carriedApp();
    // The customer exists first, so both steps resolve to it.
    await send(app, track({ group: "acct_carried_3" }));
    await app.apply();
    const body = track({ group: "acct_carried_3" });
    await send(app, body);
    const message = app.sent.splice(0)[0] as { delivery: CarriedDelivery };
    const deps = { db: env.DB, cfg: defaultConfig, now: Date.now() };
    const first = await resolveEvents(deps, [], [{ d: message.delivery, attempts: 1 }]);
    const second = await resolveEvents(deps, [], [{ d: message.delivery, attempts: 1 }]);
    expect(first.groups).toHaveLength(1);
    expect(second.groups).toHaveLength(1);
    const applied = await applyGroups(deps, first.groups);
    expect(applied.done).toEqual([message.delivery.id]);
    const before = (await customerOf("acct_carried_3"))!;
    const lost = await applyGroups(deps, second.groups);
    expect(lost.retry).toEqual([message.delivery.id]);
    expect(lost.done).toEqual([]);
    const retried = await resolveEvents(deps, [], [{ d: message.delivery, attempts: 2 }]);
    expect(retried.groups).toEqual([]);
    expect(await customerOf("acct_carried_3")).toEqual(before);
  });

  it("stores a delivery that matches no customer as unmatched, and applies it once a later delivery links its keys", async () => {
    const app = carriedApp();
    const email = "ops@carried-waiting.example";
    const body = track({ user: "carried_waiting_user", email });
    await send(app, body);
    await app.apply();
    expect((await rowOf(deliveryIdOf(body)))!.status).toBe("unmatched");

    const group = JSON.stringify({
      type: "group",
      groupId: "acct_carried_waiting",
      userId: "carried_waiting_user",
      messageId: `carried-group-${Date.now()}`,
      timestamp: new Date(Date.now() - HOUR).toISOString(),
      traits: { name: "Waiting Co", website: "https://carried-waiting.example" },
    });
    await send(app, group);
    await app.apply();
    await drain();
    const customer = (await customerOf("acct_carried_waiting"))!;
    // Re-driven from its inbox row, it stays an inbox row.
    expect(await rowOf(deliveryIdOf(body))).toMatchObject({ kept: "inbox", status: "processed", customer_id: customer.id });
  });

  it("a delivery that failed on every retry is stored as failed from the dead-letter queue, and the re-drive applies it", async () => {
    const app = carriedApp();
    const body = track({ group: "acct_carried_dlq" });
    await send(app, body);
    const message = app.sent.splice(0)[0];
    const dlq = await runQueue("tenure-events-dlq", [message], app.overrides);
    expect(dlq.explicitAcks).toHaveLength(1);
    expect((await rowOf(deliveryIdOf(body)))!.status).toBe("failed");

    const res = await app.post("https://tenure.example.com/api/events/redrive", JSON.stringify({ source: "segment" }), ADMIN);
    expect(res.status).toBe(202);
    await app.apply();
    await drain();
    expect((await rowOf(deliveryIdOf(body)))!.status).toBe("processed");
  });

  it("a message whose facts no longer read is kept as failed, not dropped", async () => {
    const app = carriedApp();
    const body = track({ group: "acct_carried_unreadable" });
    await send(app, body);
    const message = app.sent.splice(0)[0] as { delivery: CarriedDelivery };
    const broken = { delivery: { ...message.delivery, events: [{ ...message.delivery.events[0], type: "usage.renamed" }] } };
    const run = await runQueue("tenure-events", [broken], app.overrides);
    expect(run.explicitAcks).toHaveLength(1);
    expect((await rowOf(deliveryIdOf(body)))!.status).toBe("failed");
  });

  it("carries no raw body when raw payloads are kept for 0 days", async () => {
    const app = carriedApp();
    Object.assign(app.overrides, { RAW_PAYLOAD_RETENTION_DAYS: "0" });
    const body = track({ group: "acct_carried_noraw" });
    await send(app, body);
    expect((app.sent[0] as { delivery: CarriedDelivery }).delivery.payload).toBeNull();
    await app.apply();
    expect(await rowOf(deliveryIdOf(body))).toMatchObject({ kept: "applied", status: "processed", raw: 0 });
  });

  it("a delivery too large for a queue message is written to the inbox at ingest instead", async () => {
    const app = carriedApp();
    const body = track({ group: "acct_carried_big", props: { blob: "x".repeat(MAX_CARRIED_BYTES) } });
    const res = await send(app, body);
    expect(await res.json()).toMatchObject({ received: 1, queued: 0 });
    expect(app.sent.every((m) => "eventId" in (m as object))).toBe(true);
    expect((await rowOf(deliveryIdOf(body)))!.status).toBe("received");
  });

  it("sends many deliveries in batches inside Queues' limits (100 messages, 256 KB), which the fake queue enforces", async () => {
    const app = carriedApp();
    const now = Date.now();
    const rows = Array.from({ length: 150 }, (_, i) =>
      inboxRow("segment", { dedupeKey: `batch-${i}`, vendorType: "track", occurredAt: now, events: [{ id: `segment:batch-${i}`, source: "segment", type: "usage.tracked", occurredAt: now, subject: {}, userId: "u", event: "E" }] as never, raw: "x".repeat(5_000) }, now, "req"),
    );
    const { carried, stored } = splitCarried(rows, new Set(["segment"]));
    expect(stored).toEqual([]);
    await sendCarried(app.overrides.EVENTS as never, carried);
    expect(app.sent).toHaveLength(150);
    await expect(app.overrides.EVENTS.sendBatch(carried.map((d) => ({ body: { delivery: d.delivery } })))).rejects.toThrow(/at most 100|256 KB/);
  });

  it("answers 503 and keeps nothing when the queue refuses the delivery (the vendor retries it)", async () => {
    const app = carriedApp();
    app.refuse(true);
    const body = track({ group: "acct_carried_refused" });
    const res = await send(app, body);
    expect(res.status).toBe(503);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("queue_unavailable");
    expect(await rowOf(deliveryIdOf(body))).toBeNull();
    app.refuse(false);
    expect((await send(app, body)).status).toBe(200);
    await app.apply();
    expect((await rowOf(deliveryIdOf(body)))!.status).toBe("processed");
  });
});
