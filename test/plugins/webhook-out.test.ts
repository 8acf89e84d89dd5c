import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { http, HttpResponse } from "msw";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { webhookOutConnector } from "../../connectors/webhook-out";
import type { OutboxAction } from "../../connectors/connector";
import { loadConfig } from "../../src/env";
import worker from "../../src/index";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { fixture } from "../support/fixtures";
import { PADDLE_SECRET, signPaddle } from "./sign";

/** The Standard Webhooks outbound stream, checked by the spec's own library (the `standardwebhooks` package). */

const SECRET = `whsec_${btoa("tenure-outbound-test-key-32-bytes")}`;
const RECEIVER = "https://hooks.receiver.example/tenure";
const received: { id: string; type: string; data: Record<string, unknown> }[] = [];
let answers: Response[] = [];

/** A receiver that verifies like Zapier, n8n or a team's service would: with a Standard Webhooks library. */
const receiver = http.post(RECEIVER, async ({ request }) => {
  const body = await request.text();
  const headers = Object.fromEntries(request.headers.entries());
  try {
    const msg = new Webhook(SECRET).verify(body, headers) as { type: string; data: Record<string, unknown> };
    const next = answers.shift();
    if (next) return next as unknown as ReturnType<typeof HttpResponse.json>;
    received.push({ id: headers["webhook-id"]!, type: msg.type, data: msg.data });
    return new HttpResponse(null, { status: 204 });
  } catch (err) {
    return HttpResponse.json({ error: String(err) }, { status: 400 });
  }
});

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
server.use(receiver);
afterAll(() => server.close());

const outEnv = { ...env, WEBHOOK_OUT_URL: RECEIVER, WEBHOOK_OUT_SECRET: SECRET };
let seq = 0;
async function runQueue(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(queue, bodies.map((body) => ({ id: `wh-${++seq}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<never>, outEnv as never);
  return getQueueResult(batch, ctx);
}

const action = (id: string): OutboxAction => ({
  id,
  customerId: "cus_1",
  attempts: 0,
  payload: { type: "webhook.event", event: "band.changed", at: Date.parse("2026-11-20T10:00:00Z"), data: { band: "red", previousBand: "yellow", score: 38, name: "Northwind" } },
});
const deps = () => ({ cfg: loadConfig(outEnv), fetch: (i: RequestInfo | URL, init?: RequestInit) => fetch(i, init), now: () => Date.now() });

describe("Standard Webhooks connector", () => {
  it("signs each event so the standardwebhooks library verifies it", async () => {
    const [out] = await webhookOutConnector.deliver([action("webhook:band:1")], deps());
    expect(out).toMatchObject({ status: "delivered" });
    expect(received.at(-1)).toEqual({ id: "webhook:band:1", type: "band.changed", data: { customerId: "cus_1", band: "red", previousBand: "yellow", score: 38, name: "Northwind" } });
  });

  it("retries a 429 after its Retry-After and a 503; gives up on a 410", async () => {
    answers = [new Response(null, { status: 429, headers: { "retry-after": "7" } }), new Response(null, { status: 503 }), new Response(null, { status: 410 })];
    const [a] = await webhookOutConnector.deliver([action("webhook:band:2")], deps());
    const [b] = await webhookOutConnector.deliver([action("webhook:band:2")], deps());
    const [c] = await webhookOutConnector.deliver([action("webhook:band:2")], deps());
    expect(a).toMatchObject({ status: "retry", httpStatus: 429, retryAfterMs: 7000 });
    expect(b).toMatchObject({ status: "retry", httpStatus: 503 });
    expect(c).toMatchObject({ status: "permanent", httpStatus: 410 });
  });

  it("is disabled until a URL and a whsec_ secret of 24+ bytes are set", () => {
    expect(webhookOutConnector.disabledReason(loadConfig(env))).toBe("WEBHOOK_OUT_URL is not set");
    expect(webhookOutConnector.disabledReason(loadConfig({ ...outEnv, WEBHOOK_OUT_SECRET: "whsec_c2hvcnQ=" }))).toContain("24 to 64 key bytes");
    expect(webhookOutConnector.disabledReason(loadConfig(outEnv))).toBeNull();
  });
});

describe("through the route, the events queue, the outbox and the actions queue", () => {
  it("announces a declared source's facts as score.changed once, however often the delivery and the action run", async () => {
    for (const name of ["customer.created", "subscription.created"]) {
      const body = fixture("paddle", name);
      for (let copy = 0; copy < 5; copy++) {
        const res = await SELF.fetch(`https://tenure.example.com/webhooks/paddle`, { method: "POST", body, headers: { "content-type": "application/json", ...(await signPaddle(PADDLE_SECRET, body)) } });
        expect(res.status).toBe(200);
      }
    }
    const inbox = await env.DB.prepare(`SELECT id FROM inbox_events WHERE source = 'paddle' AND status = 'received'`).all<{ id: string }>();
    expect(inbox.results).toHaveLength(2);
    // Each delivery redelivered by the queue too.
    await runQueue("tenure-events", [...inbox.results, ...inbox.results].map((r) => ({ eventId: r.id })));

    const pending = await env.DB.prepare(`SELECT id, type FROM outbox WHERE destination = 'webhook' ORDER BY id`).all<{ id: string; type: string }>();
    expect(pending.results.length).toBeGreaterThan(0);
    const before = received.length;
    for (let round = 0; round < 3; round++) await runQueue("tenure-actions", pending.results.map((r) => ({ actionId: r.id })));

    const statuses = await env.DB.prepare(`SELECT DISTINCT status FROM outbox WHERE destination = 'webhook'`).all<{ status: string }>();
    expect(statuses.results).toEqual([{ status: "delivered" }]);
    const mine = received.slice(before);
    expect(mine.map((r) => r.id).sort()).toEqual(pending.results.map((r) => r.id));
    expect(mine.filter((r) => r.type === "score.changed").length).toBeGreaterThan(0);
    expect(mine.every((r) => typeof r.data.customerId === "string")).toBe(true);
  });
});
