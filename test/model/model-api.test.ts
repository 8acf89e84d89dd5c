import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fixture } from "../support/fixtures";
import { ADMIN, drain, runQueue } from "../support/drain";
import { signStripe } from "../support/sign/stripe";

const BASE = "https://tenure.example.com";
const DAY = 86_400;

/** Stripe events for one customer, dated `daysAgo` (the vendor's clock), signed now. */
async function stripe(name: string, customer: string, id: string, daysAgo: number, patch: (o: any) => void = () => {}) {
  const ev = JSON.parse(fixture("stripe", name));
  ev.id = id;
  ev.created = Math.floor(Date.now() / 1000) - daysAgo * DAY;
  ev.data.object.customer = customer;
  // Each test customer is its own company: a shared email domain would (rightly) link them.
  if ("customer_email" in ev.data.object) ev.data.object.customer_email = `ops@${customer}.example`;
  ev.data.object.id = `${ev.data.object.id}_${id}`;
  patch(ev.data.object);
  const body = JSON.stringify(ev);
  const res = await SELF.fetch(`${BASE}/webhooks/stripe`, { method: "POST", body, headers: await signStripe(body) });
  expect(res.status).toBe(200);
}

async function seed() {
  // A healthy customer and one whose payments fail and who then churns.
  await stripe("invoice.paid.first", "cus_good", "evt_good_1", 120);
  await stripe("invoice.paid.first", "cus_bad", "evt_bad_1", 120);
  await stripe("invoice.payment_failed", "cus_bad", "evt_bad_2", 60);
  await stripe("invoice.payment_failed", "cus_bad", "evt_bad_3", 55, (o) => (o.attempt_count = 3));
  await stripe("customer.subscription.deleted", "cus_bad", "evt_bad_4", 20, (o) => (o.ended_at = Math.floor(Date.now() / 1000) - 20 * DAY));
  await drain();
}

const post = (path: string, body: unknown) =>
  SELF.fetch(`${BASE}${path}`, { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify(body) });

describe("model API", () => {
  it("GET /api/model shows the model in force", async () => {
    const res = await SELF.fetch(`${BASE}/api/model`, { headers: ADMIN });
    const { model } = await res.json<{ model: { version: string; weights: Record<string, number> } }>();
    expect(model.weights).toMatchObject({ billing: 30, support: 20, usage: 20, sentiment: 15, relationship: 15 });
  });

  it("POST /api/recompute with asOf scores from stored history as of that instant, changing nothing", async () => {
    await seed();
    const before = (await env.DB.prepare(`SELECT id, version, score FROM customers ORDER BY id`).all()).results;
    const asOf = Date.now() - 58 * DAY * 1000;
    const res = await post("/api/recompute", { asOf });
    expect(res.status).toBe(200);
    const { customers } = await res.json<{ customers: { id: string; score: number; stage: string }[] }>();
    expect(customers).toHaveLength(2);
    const scores = customers.map((c) => c.score).sort((a, b) => a - b);
    expect(scores[0]).toBeLessThan(scores[1]!); // at that time one customer had failed payments, the other not
    expect(customers.every((c) => c.stage !== "churned")).toBe(true); // the churn came later
    // Rows only: the query's own timing metadata differs between two reads.
    expect((await env.DB.prepare(`SELECT id, version, score FROM customers ORDER BY id`).all()).results).toEqual(before);
  });

  it("POST /api/model/backtest replays history and reports AUC and churn per band", async () => {
    const res = await post("/api/model/backtest", { horizonDays: 90, stepDays: 7 });
    expect(res.status).toBe(200);
    const r = await res.json<any>();
    expect(r.customers).toBe(2);
    expect(r.churned).toBeGreaterThan(0);
    expect(r.auc).toBeGreaterThan(0.5); // the churner scored lower than the healthy customer
    expect(Object.keys(r.churnRateByBand).sort()).toEqual(["green", "red", "yellow"]);
  });

  it("rejects a model that breaks the schema with a 400", async () => {
    const res = await post("/api/model/backtest", { model: { weights: { billing: "lots" } } });
    expect(res.status).toBe(400);
  });

  it("the daily recompute walks customers through the queue and re-scores them", async () => {
    const before = await env.DB.prepare(`SELECT SUM(version) AS v FROM customers`).first<{ v: number }>();
    const result = await runQueue("tenure-events", [{ recomputeAfter: "", asOf: Date.now() }]);
    expect(result.error).toBeUndefined();
    expect(result.explicitAcks.length).toBe(1);
    const after = await env.DB.prepare(`SELECT SUM(version) AS v FROM customers`).first<{ v: number }>();
    expect(after!.v).toBe(before!.v + 2);
  });
});
