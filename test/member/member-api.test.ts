import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { openapiDocument } from "../../src/routes/openapi-doc";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { scenario } from "../loyalty/support";
import { mismatch, resolveRef, undeclaredKeys } from "../routes/openapi-shape";
import { drain } from "../support/drain";
import { grantPoints, memberCall, tokenFor } from "./support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: "tenure-referral-friend", percent_off: 20, duration: "once" });
const { payingCustomer } = scenario(fakes.stripe);
const doc = JSON.parse(JSON.stringify(openapiDocument)) as Record<string, any>;

function expectDocumented(method: string, path: string, status: number, body: unknown) {
  const op = doc.paths[path][method];
  const response = op.responses[String(status)];
  const schema = (response.$ref ? resolveRef(doc, response.$ref) : response).content["application/json"].schema;
  expect(mismatch(body, schema, doc), `${method} ${path} ${status}`).toBeNull();
  expect(undeclaredKeys(body as Record<string, unknown>, schema, doc), `${method} ${path} ${status}`).toEqual([]);
}

let A: { cus: string; id: string };
let B: { cus: string; id: string };
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  A = await payingCustomer("memalpha", "memalpha.example");
  B = await payingCustomer("membeta", "membeta.example");
  await grantPoints(A.id, 25, "a");
  await grantPoints(B.id, 3, "b");
  [tokenA, tokenB] = await Promise.all([tokenFor(A.id), tokenFor(B.id)]);
});

describe("GET /member/me", () => {
  it("answers the contract for the token's account, and creates its referral code once", async () => {
    const me = await memberCall("GET", "/me", tokenA);
    expect(me.status).toBe(200);
    expectDocumented("get", "/member/me", 200, me.body);
    expect(me.body.account).toEqual({ id: A.id, name: "memalpha" });
    expect(me.body.points).toEqual({ balance: 2500, earned: 2500, redeemed: 0 });
    expect(me.body.referral).toMatchObject({ code: expect.stringMatching(/^FRIEND-[0-9A-Z]{8}$/), clicks: 0, signups: 0, rewards: { pending: 0, paid: 0 } });
    expect(me.body.referral.link).toBe(`https://tenure.example.com/r/${me.body.referral.code}`);
    expect(me.body.waysToEarn).toContainEqual({ kind: "review_submitted", label: "Write a review", points: 100, claim: "review" });
    expect(me.body.badges.find((b: any) => b.id === "five_referrals")).toEqual({ id: "five_referrals", name: "Five referrals", earned: false, progress: { current: 0, target: 5 } });
    // Only this account's currency (usd), each marked affordable against the balance.
    expect(me.body.rewards.map((r: any) => [r.id, r.affordable])).toEqual([["usd-5", true], ["usd-10", true]]);

    const again = await memberCall("GET", "/me", tokenA);
    expect(again.body.referral.code).toBe(me.body.referral.code);
    const codes = await env.DB.prepare(`SELECT COUNT(*) AS n FROM referral_codes WHERE referrer_id = ?`).bind(A.id).first<{ n: number }>();
    expect(codes!.n).toBe(1);
    // Its Stripe promotion code went through the outbox.
    await drain();
    expect([...fakes.stripe.state.promotionCodes.values()].map((p) => p.code)).toContain(me.body.referral.code);
  });

  it("isolation: A's token only ever reads A, B's only B", async () => {
    const [a, b] = await Promise.all([memberCall("GET", "/me", tokenA), memberCall("GET", "/me", tokenB)]);
    expect(a.body.account.id).toBe(A.id);
    expect(b.body.account.id).toBe(B.id);
    expect(b.body.points.balance).toBe(300);
    expect(b.body.referral.code).not.toBe(a.body.referral.code);
    const historyB = await memberCall("GET", "/history?limit=100", tokenB);
    expect(historyB.body.entries).toHaveLength(3);
    expect(JSON.stringify(historyB.body)).not.toContain(A.id);
    // There is no way to name another account: query parameters are not read.
    const sneaky = await memberCall("GET", `/me?account_id=${A.id}&customerId=${A.id}`, tokenB);
    expect(sneaky.body.account.id).toBe(B.id);
  });
});

describe("GET /member/history", () => {
  it("pages newest first with a cursor, and refuses a bad cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=10&cursor=${encodeURIComponent(cursor)}` : "?limit=10";
      const page = await memberCall("GET", `/history${q}`, tokenA);
      expect(page.status).toBe(200);
      expectDocumented("get", "/member/history", 200, page.body);
      seen.push(...page.body.entries.map((e: any) => e.id));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const bad = await memberCall("GET", "/history?cursor=nope", tokenA);
    expect(bad.status).toBe(400);
    expect((await memberCall("GET", "/history?limit=1000", tokenA)).status).toBe(400);
  });
});

describe("POST /member/redemptions", () => {
  it("is idempotent per requestId: one spend, one credit action, the first answer again", async () => {
    const req = { rewardId: "usd-5", requestId: "req-0001-idem" };
    const first = await memberCall("POST", "/redemptions", tokenA, req);
    expect(first.status).toBe(201);
    expectDocumented("post", "/member/redemptions", 201, first.body);
    expect(first.body).toMatchObject({ rewardId: "usd-5", points: 500, credit: { amount: 500, currency: "usd" }, balance: 2000 });
    const again = await Promise.all([1, 2, 3].map(() => memberCall("POST", "/redemptions", tokenA, req)));
    for (const r of again) expect(r).toMatchObject({ status: 200, body: { redemptionId: first.body.redemptionId, balance: 2000 } });
    const other = await memberCall("POST", "/redemptions", tokenA, { ...req, rewardId: "usd-10" });
    expect(other).toMatchObject({ status: 409, body: { error: { code: "request_id_reused" } } });

    const actions = await env.DB.prepare(`SELECT id, payload FROM outbox WHERE customer_id = ? AND type = 'stripe.credit'`).bind(A.id).all<{ id: string; payload: string }>();
    expect(actions.results).toHaveLength(1);
    expect(JSON.parse(actions.results[0]!.payload)).toMatchObject({ type: "stripe.credit", stripeCustomerId: A.cus, amount: -500, currency: "usd" });
    await drain();
    const credits = fakes.stripe.state.balanceTransactions.filter((t) => t.customer === A.cus);
    expect(credits.map((t) => [t.amount, t.currency])).toEqual([[-500, "usd"]]);
  });

  it("never overdraws under concurrency: 12 × 500 points against 2,000", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => memberCall("POST", "/redemptions", tokenA, { rewardId: "usd-5", requestId: `race-${String(i).padStart(4, "0")}` })),
    );
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(4);
    expect(refused).toHaveLength(8);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: "insufficient_points", cost: 500 });
    const balance = await env.DB.prepare(`SELECT SUM(points) AS b FROM loyalty_ledger WHERE customer_id = ?`).bind(A.id).first<{ b: number }>();
    expect(balance!.b).toBe(0);
    const credits = await env.DB.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE customer_id = ? AND type = 'stripe.credit'`).bind(A.id).first<{ n: number }>();
    expect(credits!.n).toBe(5);
    expect((await memberCall("GET", "/me", tokenA)).body.points).toEqual({ balance: 0, earned: 2500, redeemed: 2500 });
  });

  it("refuses bad input and rewards in another currency, changing nothing", async () => {
    const before = await env.DB.prepare(`SELECT COUNT(*) AS n FROM loyalty_ledger WHERE customer_id = ?`).bind(B.id).first<{ n: number }>();
    expect(await memberCall("POST", "/redemptions", tokenB, { rewardId: "usd-5" })).toMatchObject({ status: 400, body: { error: { code: "bad_request", path: "requestId" } } });
    expect(await memberCall("POST", "/redemptions", tokenB, { rewardId: "usd-5", requestId: "x" })).toMatchObject({ status: 400 });
    expect(await memberCall("POST", "/redemptions", tokenB, { rewardId: "eur-5", requestId: "req-eur-0001" })).toMatchObject({ status: 422, body: { error: { code: "currency_mismatch" } } });
    expect(await memberCall("POST", "/redemptions", tokenB, { rewardId: "gold-bar", requestId: "req-gold-0001" })).toMatchObject({ status: 404 });
    expect(await memberCall("POST", "/redemptions", tokenB, { rewardId: "usd-5", requestId: "req-b-000001" })).toMatchObject({ status: 409, body: { error: { code: "insufficient_points", balance: 300 } } });
    const after = await env.DB.prepare(`SELECT COUNT(*) AS n FROM loyalty_ledger WHERE customer_id = ?`).bind(B.id).first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("a request id is per account: B reusing A's id spends B's points only", async () => {
    await grantPoints(B.id, 2, "b2");
    const r = await memberCall("POST", "/redemptions", tokenB, { rewardId: "usd-5", requestId: "req-0001-idem" });
    expect(r).toMatchObject({ status: 201, body: { balance: 0 } });
    expect(r.body.redemptionId).toContain(B.id);
  });
});

describe("GET /member/rewards", () => {
  it("lists the catalogue in the account's currency", async () => {
    const r = await memberCall("GET", "/rewards", tokenA);
    expectDocumented("get", "/member/rewards", 200, r.body);
    expect(r.body.rewards.map((x: any) => x.id)).toEqual(["usd-5", "usd-10"]);
  });
});
