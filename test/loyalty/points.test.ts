import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { fixture } from "../support/fixtures";
import { signSegment } from "../support/sign/segment";
import { drain } from "../support/drain";
import { api, customerIdOf, ledgerOf, postStripe, stripe } from "./support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());

const companyId = fakes.hubspot.addCompany({ name: "Gamma Inc", domain: "gamma.example" });
let G: string;
let gCus: string;

beforeAll(async () => {
  await setupHubspotProperties({ cfg, fetch, now: Date.now });
  gCus = fakes.stripe.state.addCustomer({ email: "ops@gamma.example" }).id;
  await postStripe(stripe.customer("evt_g_cus", { id: gCus, email: "ops@gamma.example", name: "Gamma Inc", metadata: { hubspot_company_id: companyId } }));
  await postStripe(stripe.subscription("evt_g_sub", { id: "sub_g", customer: gCus }));
  await drain();
  G = await customerIdOf(gCus);
});

async function segmentTrack(messageId: string, event: string, groupId: string) {
  const body = JSON.parse(fixture("segment", "track"));
  Object.assign(body, { messageId, event, timestamp: new Date().toISOString() });
  body.context.groupId = groupId;
  const raw = JSON.stringify(body);
  return SELF.fetch("https://tenure.example.com/webhooks/segment", { method: "POST", body: raw, headers: { "content-type": "application/json", ...(await signSegment("segment_secret", raw)) } });
}

describe("earning points", () => {
  it("records an activity once per (customer, kind, ref) and enrolls the customer", async () => {
    const first = await api("POST", "/loyalty/events", { customerId: G, kind: "review_submitted", ref: "review-1" });
    expect(first).toMatchObject({ status: 201, body: { created: true, points: 100, balance: 100 } });
    expect(await api("POST", "/loyalty/events", { customerId: G, kind: "review_submitted", ref: "review-1" })).toMatchObject({ status: 200, body: { created: false, balance: 100 } });
    for (let i = 2; i <= 12; i++) expect((await api("POST", "/loyalty/events", { customerId: G, kind: "review_submitted", ref: `review-${i}` })).status).toBe(201);
    expect(await api("POST", "/loyalty/events", { customerId: G, kind: "dancing", ref: "x" })).toMatchObject({ status: 422, body: { error: { code: "unknown_kind" } } });
    expect((await api("POST", "/loyalty/events", { customerId: "cu_nobody", kind: "social_share", ref: "x" })).status).toBe(404);
    expect((await api("GET", `/loyalty/customers/${G}`)).body).toMatchObject({ points: 1200, member: { via: "earn" } });
    expect((await api("GET", "/loyalty/customers/cu_nobody")).status).toBe(404);
  });

  it("maps a configured Segment track event to points, once per message", async () => {
    for (let i = 0; i < 2; i++) expect((await segmentTrack("msg-review-1", "Review Submitted", "grp_seg_1")).status).toBe(200);
    await segmentTrack("msg-login-1", "Logged In", "grp_seg_1");
    await drain();
    const { customer_id } = (await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'segment_group' AND value = 'grp_seg_1'`).first<{ customer_id: string }>())!;
    expect((await ledgerOf(customer_id)).map((e) => [e.id, e.points])).toEqual([[`points:${customer_id}:review_submitted:segment:msg-review-1`, 100]]);
  });
});

describe("redeeming points", () => {
  it("concurrent redemptions cannot spend the same points twice", async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => api("POST", "/loyalty/redeem", { customerId: G, points: 500, idempotencyKey: `race-${i}` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.error).toMatchObject({ code: "insufficient_points", requested: 500 });
    expect((await api("GET", `/loyalty/customers/${G}`)).body.points).toBe(200);
    const spent = await env.DB.prepare(`SELECT COUNT(*) AS n, SUM(points) AS points FROM loyalty_ledger WHERE customer_id = ? AND entry = 'points.redeemed'`).bind(G).first();
    expect(spent).toEqual({ n: 2, points: -1000 });
    await drain();
    const credits = fakes.stripe.state.balanceTransactions.filter((t) => t.customer === gCus);
    expect(credits.map((t) => [t.amount, t.currency])).toEqual([
      [-500, "usd"],
      [-500, "usd"],
    ]);
  });

  it("replays a reused idempotency key, even concurrently, and refuses it for another amount", async () => {
    await api("POST", "/loyalty/events", { customerId: G, kind: "social_share", ref: "post-1" });
    for (let i = 1; i <= 12; i++) await api("POST", "/loyalty/events", { customerId: G, kind: "renewal", ref: `manual-${i}` });
    const same = await Promise.all([1, 2, 3].map(() => api("POST", "/loyalty/redeem", { customerId: G, points: 1000, idempotencyKey: "once" })));
    expect(same.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(same.map((r) => r.body.redemptionId))).toEqual(new Set([`loyalty.redeem:${G}:once`]));
    expect(await api("POST", "/loyalty/redeem", { customerId: G, points: 500, idempotencyKey: "once" })).toMatchObject({ status: 409, body: { error: { code: "idempotency_key_reused" } } });
    expect(await api("POST", "/loyalty/redeem", { customerId: G, points: 300 })).toMatchObject({ status: 422, body: { error: { code: "below_minimum" } } });
    expect(await api("POST", "/loyalty/redeem", { customerId: G, points: 550 })).toMatchObject({ status: 422, body: { error: { code: "not_a_multiple" } } });
    expect((await api("POST", "/loyalty/redeem", { customerId: "cu_nobody", points: 500 })).status).toBe(404);
  });

  it("pushes the points balance and referral count to HubSpot", async () => {
    await drain();
    const balance = (await api("GET", `/loyalty/customers/${G}`)).body.points;
    expect(fakes.hubspot.companies.get(companyId)!.properties).toMatchObject({ tenure_loyalty_points: String(balance), tenure_referral_count: "0" });
  });
});

describe("enrollment, summary and leaderboard", () => {
  it("opt-in enrollment counts toward the enrollment rate", async () => {
    const cus = fakes.stripe.state.addCustomer({ email: "ops@eta.example" }).id;
    await postStripe(stripe.customer("evt_eta_cus", { id: cus, email: "ops@eta.example", name: "Eta" }));
    await drain();
    const H = await customerIdOf(cus);
    expect(await api("POST", "/loyalty/enroll", { customerId: H })).toMatchObject({ status: 201, body: { via: "opt_in" } });
    expect((await api("POST", "/loyalty/enroll", { customerId: H })).status).toBe(200);
    const summary = (await api("GET", "/loyalty/summary")).body;
    expect(summary.enrollment).toMatchObject({ customers: 3, enrolled: 3, rate: 100, via: { earn: 2, opt_in: 1 } });
    expect(summary.points.redeemed).toBe(2000);
  });

  it("ranks point earners for the period", async () => {
    const board = await api("GET", "/loyalty/leaderboard?period=quarter");
    expect(board.body.points[0]).toMatchObject({ customerId: G, earned: 1200 + 25 + 12 * 300 });
    expect((await api("GET", "/loyalty/leaderboard?period=decade")).status).toBe(400);
  });
});
