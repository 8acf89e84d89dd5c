import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { loadConfig } from "../../src/env";
import { FakeHubSpot } from "../fakes/hubspot";
import { fixture } from "../support/fixtures";
import { signStripe } from "../support/sign/stripe";
import { ADMIN, drain, runQueue } from "../support/drain";

const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789" });
const server = setupServer(http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)));
beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  // What `npm run setup:hubspot` does once per portal: HubSpot refuses values for properties that do not exist.
  await setupHubspotProperties({ cfg: loadConfig(env), fetch, now: Date.now });
});
afterAll(() => server.close());

const companyId = hub.addCompany({ name: "Acme Corp", domain: "acme.example" });

/** A Stripe fixture, re-dated to now (deliveries are recent) and linked to the fake HubSpot company. */
function stripeEvent(name: string, patch: (ev: any) => void = () => {}): string {
  const ev = JSON.parse(fixture("stripe", name));
  ev.created = Math.floor(Date.now() / 1000) - 60;
  patch(ev);
  return JSON.stringify(ev);
}

async function postStripe(body: string) {
  return SELF.fetch("https://tenure.example.com/webhooks/stripe", { method: "POST", body, headers: await signStripe(body) });
}

const batchWrites = () => hub.requests.filter((r) => r.path.endsWith("/companies/batch/update") && r.status < 300);

describe("spine: Stripe invoice.paid -> customer -> HubSpot", () => {
  const customerCreated = stripeEvent("customer.created", (ev) => (ev.data.object.metadata.hubspot_company_id = companyId));
  const invoicePaid = stripeEvent("invoice.paid.first");

  it("answers 2xx only after the delivery is committed, and a duplicate changes nothing", async () => {
    expect((await postStripe(customerCreated)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const res = await postStripe(invoicePaid);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ received: 1, duplicates: i === 0 ? 0 : 1 });
    }
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'stripe'`).first<{ n: number }>())!;
    expect(n).toBe(2);
  });

  it("applies the events, scores the customer, and writes HubSpot once", async () => {
    await drain();
    const list = await SELF.fetch("https://tenure.example.com/api/customers?stripeCustomerId=cus_QXg1o8vcGmoR32", { headers: ADMIN });
    const { customers } = await list.json<{ customers: any[] }>();
    expect(customers).toHaveLength(1);
    const res = await SELF.fetch(`https://tenure.example.com/api/customers/${customers[0].id}`, { headers: ADMIN });
    const c = await res.json<any>();
    expect(c).toMatchObject({
      name: "Acme Corp",
      domain: "acme.example",
      externalIds: { stripe: "cus_QXg1o8vcGmoR32", hubspot: companyId, account: "acct_acme" },
      stage: { current: expect.any(String) },
    });
    expect(c.health.score).toBeGreaterThanOrEqual(0);
    expect(c.health.score).toBeLessThanOrEqual(100);
    expect(["green", "yellow", "red"]).toContain(c.health.band);
    expect(batchWrites()).toHaveLength(1);
    expect(hub.companies.get(companyId)!.properties.tenure_health_score).toBe(String(c.health.score));
    const { results } = await env.DB.prepare(`SELECT status FROM outbox WHERE type = 'hubspot.properties'`).all<{ status: string }>();
    expect(results).toEqual([{ status: "delivered" }]);
  });

  it("five more deliveries of the same invoice change nothing and write nothing", async () => {
    const before = await env.DB.prepare(`SELECT version, updated_at FROM customers`).first();
    for (let i = 0; i < 5; i++) expect((await postStripe(invoicePaid)).status).toBe(200);
    await drain();
    expect(await env.DB.prepare(`SELECT version, updated_at FROM customers`).first()).toEqual(before);
    expect(batchWrites()).toHaveLength(1);
  });
});

describe("spine: a consumer killed mid-batch loses nothing", () => {
  it("retries the whole batch and applies every event afterwards (applied in the consumer itself, without shards)", async () => {
    const body = stripeEvent("invoice.payment_failed", (ev) => (ev.id = "evt_killed_consumer_1"));
    expect((await postStripe(body)).status).toBe(200);
    const realBatch = env.DB.batch.bind(env.DB);
    let calls = 0;
    const spy = vi.spyOn(env.DB, "batch").mockImplementation(async (stmts) => {
      if (++calls === 1) throw new Error("consumer killed");
      return realBatch(stmts);
    });
    try {
      const result = await runQueue("tenure-events", [{ eventId: "stripe:evt_killed_consumer_1" }], { ACCOUNT_SHARDS: "0" });
      expect(result.error).toBeInstanceOf(Error);
      expect(result.explicitAcks).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    const row = await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = 'stripe:evt_killed_consumer_1'`).first<{ status: string }>();
    expect(row!.status).toBe("received");
    await drain();
    const after = await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = 'stripe:evt_killed_consumer_1'`).first<{ status: string }>();
    expect(after!.status).toBe("processed");
  });

  it("retries the events of an account shard that cannot be reached, and applies them afterwards", async () => {
    const body = stripeEvent("invoice.payment_failed", (ev) => (ev.id = "evt_unreachable_shard_1"));
    expect((await postStripe(body)).status).toBe(200);
    const unreachable = { idFromName: (name: string) => name, get: () => ({ apply: async () => Promise.reject(new Error("Durable Object reset")) }) };
    const result = await runQueue("tenure-events", [{ eventId: "stripe:evt_unreachable_shard_1" }], { SHARDS: unreachable });
    expect(result.error).toBeUndefined();
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
    const row = await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = 'stripe:evt_unreachable_shard_1'`).first<{ status: string }>();
    expect(row!.status).toBe("received");
    await drain();
    const after = await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = 'stripe:evt_unreachable_shard_1'`).first<{ status: string }>();
    expect(after!.status).toBe("processed");
  });
});

describe("a HubSpot company linked after the customer was scored", () => {
  it("gets the customer's current values, though the score did not change", async () => {
    const later = hub.addCompany({ name: "Latecomer", domain: "late.example" });
    const customer = "cus_LinkedLater01";
    const paid = stripeEvent("invoice.paid.first", (ev) => {
      ev.id = "evt_late_paid";
      Object.assign(ev.data.object, { id: "in_late_1", customer, customer_email: "ops@late.example" });
    });
    expect((await postStripe(paid)).status).toBe(200);
    await drain();
    const before = await env.DB.prepare(`SELECT c.score, c.band FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = ?`)
      .bind(customer)
      .first<{ score: number; band: string }>();
    expect(before).not.toBeNull();

    const linked = stripeEvent("customer.created", (ev) => {
      ev.id = "evt_late_link";
      ev.type = "customer.updated";
      Object.assign(ev.data.object, { id: customer, email: "ops@late.example", metadata: { hubspot_company_id: later } });
    });
    expect((await postStripe(linked)).status).toBe(200);
    await drain();
    const props = hub.companies.get(later)!.properties;
    expect([props.tenure_health_score, props.tenure_health_band]).toEqual([String(before!.score), before!.band]);
  });
});

describe("old news", () => {
  async function failedPayment(tag: string, ageMs: number) {
    const body = stripeEvent("invoice.payment_failed", (ev) => {
      ev.id = `evt_age_${tag}`;
      ev.created = Math.floor((Date.now() - ageMs) / 1000);
      Object.assign(ev.data.object, { id: `in_age_${tag}`, customer: `cus_Age${tag}`, customer_email: `billing@age-${tag}.example` });
    });
    expect((await postStripe(body)).status).toBe(200);
    await drain();
    const { results } = await env.DB.prepare(`SELECT id FROM outbox WHERE type = 'slack.alert' AND id LIKE ?`).bind(`slack.alert:payment_failed:%`).all<{ id: string }>();
    const customer = await env.DB.prepare(`SELECT customer_id AS id FROM identities WHERE kind = 'stripe' AND value = ?`).bind(`cus_Age${tag}`).first<{ id: string }>();
    return results.filter((r) => r.id.includes(customer!.id));
  }

  it("a payment failure from days ago (a backfill, a long outage) is scored but raises no Slack alert", async () => {
    expect(await failedPayment("old", 10 * 86_400_000)).toEqual([]);
  });

  it("a recent one alerts", async () => {
    expect(await failedPayment("new", 60_000)).toHaveLength(1);
  });
});
