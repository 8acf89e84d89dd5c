import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { declaredConnector } from "../../connectors/declared";
import type { OutboxAction } from "../../connectors/connector";
import { loadConfig } from "../../src/env";
import worker from "../../src/index";
import { buildDeclaredRequest } from "../../src/plugins/destination-request";
import { declaredDestinations } from "../../src/plugins/destinations";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { FakeIntercom } from "../fakes/intercom";
import { fixture } from "../support/fixtures";
import { PADDLE_SECRET, signPaddle } from "./sign";

/** Intercom company attributes from plugins/intercom.json alone, at a fake that behaves like Intercom. */

const TOKEN = "dG9rOmludGVyY29tLXRlc3Q=";
const BASE = "https://intercom.fake.example";
const ATTRS = ["tenure_health_score", "tenure_health_band", "tenure_stage"];
const intercom = new FakeIntercom({ token: TOKEN, base: BASE, limit: 3, attributes: ATTRS });
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
server.use(intercom.handler());
afterAll(() => server.close());

const outEnv = { ...env, INTERCOM_ACCESS_TOKEN: TOKEN, INTERCOM_API_BASE: BASE };
const decl = declaredDestinations.byName.intercom!;
let seq = 0;
async function runQueue(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(queue, bodies.map((body) => ({ id: `ic-${++seq}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<never>, outEnv as never);
  return getQueueResult(batch, ctx);
}
const action = (id: string, customerId: string): OutboxAction => ({ id, customerId, attempts: 0, payload: { type: "declared.request", plugin: "intercom", event: "band.changed", at: 0, data: { band: "red", previousBand: "yellow", score: 38 } } });
const deps = (e: Record<string, unknown> = outEnv) => ({ cfg: loadConfig(e as never), fetch: (i: RequestInfo | URL, init?: RequestInit) => fetch(i, init), now: () => Date.now() });

describe("the intercom declaration", () => {
  it("plans Intercom's create-or-update call, leaving out attributes the event does not carry", () => {
    const req = buildDeclaredRequest(decl, { id: "declared:intercom:x", customerId: "cu_1", event: "band.changed", at: 0, data: { band: "red", previousBand: "yellow", score: 38 }, secrets: { token: "t" }, base: "https://api.intercom.io" });
    expect(req).toEqual({
      method: "POST",
      url: "https://api.intercom.io/companies",
      headers: { "content-type": "application/json", Authorization: "Bearer t", "Intercom-Version": "2.11", Accept: "application/json", "Idempotency-Key": "declared:intercom:x" },
      body: { company_id: "cu_1", custom_attributes: { tenure_health_score: 38, tenure_health_band: "red" } },
    });
  });

  it("retries a 429 after its Retry-After, and gives up on a 401", async () => {
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(...(await declaredConnector.deliver([action(`a${i}`, `cu_rl${i}`)], deps())));
    expect(outcomes.slice(0, 3).map((o) => o.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(outcomes[3]).toMatchObject({ status: "retry", httpStatus: 429, retryAfterMs: expect.any(Number) });
    const [denied] = await declaredConnector.deliver([action("a5", "cu_x")], deps({ ...outEnv, INTERCOM_ACCESS_TOKEN: "wrong-token-123" }));
    expect(denied).toMatchObject({ status: "permanent", httpStatus: 401 });
  });

  it("is disabled until INTERCOM_ACCESS_TOKEN is set", () => {
    expect(declaredConnector.disabledReason(loadConfig(env))).toBe("set INTERCOM_ACCESS_TOKEN");
    expect(declaredConnector.disabledReason(loadConfig(outEnv as never))).toBeNull();
  });
});

describe("through the route, the events queue, the outbox and the actions queue", () => {
  it("writes the account's health to its Intercom company once per change", async () => {
    intercom.nextWindow();
    for (const name of ["customer.created", "subscription.created"]) {
      const body = fixture("paddle", name);
      const res = await SELF.fetch("https://tenure.example.com/webhooks/paddle", { method: "POST", body, headers: { "content-type": "application/json", ...(await signPaddle(PADDLE_SECRET, body)) } });
      expect(res.status).toBe(200);
    }
    const inbox = await env.DB.prepare(`SELECT id FROM inbox_events WHERE source = 'paddle' AND status = 'received'`).all<{ id: string }>();
    await runQueue("tenure-events", inbox.results.map((r) => ({ eventId: r.id })));
    const rows = (await env.DB.prepare(`SELECT id, customer_id FROM outbox WHERE destination = 'declared'`).all<{ id: string; customer_id: string }>()).results;
    expect(rows.length).toBeGreaterThan(0);
    for (let round = 0; round < 2; round++) await runQueue("tenure-actions", rows.map((r) => ({ actionId: r.id })));
    const status = (await env.DB.prepare(`SELECT DISTINCT status FROM outbox WHERE destination = 'declared'`).all<{ status: string }>()).results;
    expect(status).toEqual([{ status: "delivered" }]);
    // Redelivered actions did not write again: one update per planned change.
    const company = intercom.companies.get(rows[0]!.customer_id);
    expect(company).toMatchObject({ company_id: rows[0]!.customer_id, updates: rows.length, custom_attributes: { tenure_health_score: expect.any(Number), tenure_health_band: expect.any(String) } });
  });
});
