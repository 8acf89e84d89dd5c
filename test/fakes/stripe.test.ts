import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { decodeStripeForm } from "./stripe-form";
import { FakeStripe } from "./stripe";

const KEY = "sk_test_fake_0123456789";
const T0 = Date.UTC(2026, 9, 1, 12);

function setup(requestsPerSecond?: number) {
  let t = T0;
  const fake = new FakeStripe({ secretKey: KEY, now: () => t, ...(requestsPerSecond ? { requestsPerSecond } : {}) });
  const post = async (path: string, form: string, opts: { key?: string; idem?: string } = {}) => {
    const res = await fake.handle(
      new Request(`https://stripe.fake${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${opts.key ?? KEY}`,
          "content-type": "application/x-www-form-urlencoded",
          ...(opts.idem ? { "idempotency-key": opts.idem } : {}),
        },
        body: form,
      }),
    );
    return { res, body: (await res.json()) as Record<string, any> };
  };
  return { fake, post, advance: (ms: number) => void (t += ms) };
}

describe("decodeStripeForm", () => {
  it("decodes bracketed keys into objects and arrays", () => {
    expect(decodeStripeForm("a=1&metadata[k]=v&discounts[0][coupon]=c1&discounts[1][coupon]=c2&expand[]=x&expand[]=y")).toEqual({
      a: "1",
      metadata: { k: "v" },
      discounts: [{ coupon: "c1" }, { coupon: "c2" }],
      expand: ["x", "y"],
    });
  });
});

describe("FakeStripe", () => {
  it("refuses a missing or wrong key with 401", async () => {
    const { post } = setup();
    const res = await post("/v1/customers", "", { key: "sk_test_other" });
    expect(res.res.status).toBe(401);
    expect(res.body.error.message).toContain("Invalid API Key");
  });

  it("creates a balance transaction, requires amount and currency, 404s an unknown customer", async () => {
    const { fake, post } = setup();
    const cus = fake.state.addCustomer();
    expect((await post(`/v1/customers/${cus.id}/balance_transactions`, "currency=usd")).body.error).toMatchObject({
      code: "parameter_missing",
      param: "amount",
    });
    const missing = await post("/v1/customers/cus_nope/balance_transactions", "amount=-500&currency=usd");
    expect(missing.res.status).toBe(404);
    expect(missing.body.error.code).toBe("resource_missing");
    const ok = await post(`/v1/customers/${cus.id}/balance_transactions`, "amount=-500&currency=usd&metadata[rule]=r1");
    expect(ok.body).toMatchObject({ object: "customer_balance_transaction", amount: -500, ending_balance: -500, metadata: { rule: "r1" } });
    expect(fake.state.customers.get(cus.id)!.balance).toBe(-500);
  });

  it("replays the first response for a reused Idempotency-Key, and refuses other parameters under it", async () => {
    const { fake, post } = setup();
    const cus = fake.state.addCustomer();
    const path = `/v1/customers/${cus.id}/balance_transactions`;
    const first = await post(path, "amount=-500&currency=usd", { idem: "k1" });
    const again = await post(path, "amount=-500&currency=usd", { idem: "k1" });
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(first.res.headers.get("idempotent-replayed")).toBeNull();
    expect(again.body).toEqual(first.body);
    expect(fake.state.balanceTransactions).toHaveLength(1);
    const other = await post(path, "amount=-900&currency=usd", { idem: "k1" });
    expect(other.res.status).toBe(400);
    expect(other.body.error.type).toBe("idempotency_error");
    expect(fake.state.balanceTransactions).toHaveLength(1);
  });

  it("saves nothing for a validation failure, but saves and replays a 500 after the work was done", async () => {
    const { fake, post } = setup();
    const cus = fake.state.addCustomer();
    const path = `/v1/customers/${cus.id}/balance_transactions`;
    expect((await post(path, "currency=usd", { idem: "k2" })).res.status).toBe(400);
    expect((await post(path, "amount=-100&currency=usd", { idem: "k2" })).res.status).toBe(200);
    fake.crashAfterCommit(1);
    const crashed = await post(path, "amount=-200&currency=usd", { idem: "k3" });
    expect(crashed.res.status).toBe(500);
    const replay = await post(path, "amount=-200&currency=usd", { idem: "k3" });
    expect([replay.res.status, replay.res.headers.get("idempotent-replayed")]).toEqual([500, "true"]);
    expect(fake.state.balanceTransactions.map((t) => t.amount)).toEqual([-100, -200]);
  });

  it("rate-limits past N requests per second with 429 code rate_limit", async () => {
    const { post, advance } = setup(2);
    await post("/v1/customers", "");
    await post("/v1/customers", "");
    const limited = await post("/v1/customers", "");
    expect(limited.res.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limit");
    advance(1_000);
    expect((await post("/v1/customers", "")).res.status).toBe(200);
  });

  it("takes promotion[coupon] and refuses the removed top-level coupon parameter", async () => {
    const { fake, post } = setup();
    const coupon = fake.state.addCoupon({ percent_off: 20 });
    const old = await post("/v1/promotion_codes", `coupon=${coupon.id}&code=OLD`);
    expect(old.body.error).toMatchObject({ code: "parameter_unknown", param: "coupon" });
    const ok = await post("/v1/promotion_codes", `promotion[type]=coupon&promotion[coupon]=${coupon.id}&code=THANKS-1&restrictions[first_time_transaction]=true`);
    expect(ok.body).toMatchObject({ object: "promotion_code", code: "THANKS-1", restrictions: { first_time_transaction: true } });
    const dupe = await post("/v1/promotion_codes", `promotion[type]=coupon&promotion[coupon]=${coupon.id}&code=THANKS-1`);
    expect(dupe.res.status).toBe(400);
  });

  it("serves the official SDK: nested params arrive intact", async () => {
    const { fake } = setup();
    const cus = fake.state.addCustomer();
    const sub = fake.state.addSubscription(cus.id);
    const coupon = fake.state.addCoupon({ percent_off: 10 });
    const stripe = new Stripe(KEY, {
      httpClient: Stripe.createFetchHttpClient((input, init) => fake.handle(new Request(input, init))),
      host: "stripe.fake",
      protocol: "https",
      maxNetworkRetries: 0,
    });
    const updated = await stripe.subscriptions.update(sub.id, { discounts: [{ coupon: coupon.id }] }, { idempotencyKey: "sub-1" });
    expect(updated.discounts).toHaveLength(1);
    await expect(stripe.customers.retrieve("cus_missing")).rejects.toMatchObject({ statusCode: 404, code: "resource_missing" });
  });

  it("fails on demand before the API runs, so the retry under the same key succeeds", async () => {
    const { fake, post } = setup();
    const cus = fake.state.addCustomer();
    fake.failNext(1, 503);
    const path = `/v1/customers/${cus.id}/balance_transactions`;
    expect((await post(path, "amount=-1&currency=usd", { idem: "k4" })).res.status).toBe(503);
    expect((await post(path, "amount=-1&currency=usd", { idem: "k4" })).res.status).toBe(200);
    expect(fake.state.balanceTransactions).toHaveLength(1);
  });

  it("forgets a key 24 hours after its first use: the same key then runs as a new request", async () => {
    const { fake, post, advance } = setup();
    const cus = fake.state.addCustomer();
    const path = `/v1/customers/${cus.id}/balance_transactions`;
    await post(path, "amount=-100&currency=usd", { idem: "k5" });
    advance(24 * 3_600_000 - 1);
    expect((await post(path, "amount=-100&currency=usd", { idem: "k5" })).res.headers.get("idempotent-replayed")).toBe("true");
    advance(1);
    const late = await post(path, "amount=-100&currency=usd", { idem: "k5" });
    expect(late.res.headers.get("idempotent-replayed")).toBeNull();
    expect(fake.state.balanceTransactions).toHaveLength(2);
  });

  it("answers 409 idempotency_key_in_use while a request under the same key is still running", async () => {
    const { fake, post } = setup();
    const cus = fake.state.addCustomer();
    const path = `/v1/customers/${cus.id}/balance_transactions`;
    fake.stall.hangNext(1, "before");
    const first = post(path, "amount=-300&currency=usd", { idem: "k6" });
    for (let i = 0; i < 100 && fake.stall.held === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const second = await post(path, "amount=-300&currency=usd", { idem: "k6" });
    expect(second.res.status).toBe(409);
    expect(second.body.error).toMatchObject({ type: "invalid_request_error", code: "idempotency_key_in_use" });
    expect(fake.state.balanceTransactions).toHaveLength(0);
    fake.stall.release();
    expect((await first).res.status).toBe(200);
    const third = await post(path, "amount=-300&currency=usd", { idem: "k6" });
    expect(third.res.headers.get("idempotent-replayed")).toBe("true");
    expect(fake.state.balanceTransactions).toHaveLength(1);
  });

  it("lists a customer's balance transactions newest first, paged, with their metadata", async () => {
    const { fake, post, advance } = setup();
    const cus = fake.state.addCustomer();
    const other = fake.state.addCustomer();
    for (let i = 0; i < 5; i++) {
      await post(`/v1/customers/${cus.id}/balance_transactions`, `amount=-${i + 1}&currency=usd&metadata[n]=${i}`);
      advance(1_000);
    }
    await post(`/v1/customers/${other.id}/balance_transactions`, "amount=-9&currency=usd");
    const get = async (query: string, customer = cus.id) => {
      const res = await fake.handle(new Request(`https://stripe.fake/v1/customers/${customer}/balance_transactions?${query}`, { headers: { authorization: `Bearer ${KEY}` } }));
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const first = await get("limit=2");
    expect(first.body).toMatchObject({ object: "list", url: `/v1/customers/${cus.id}/balance_transactions`, has_more: true });
    expect(first.body.data.map((t: { metadata: { n: string } }) => t.metadata.n)).toEqual(["4", "3"]);
    const rest = await get(`limit=100&starting_after=${first.body.data[1].id}`);
    expect(rest.body.has_more).toBe(false);
    expect(rest.body.data.map((t: { amount: number }) => t.amount)).toEqual([-3, -2, -1]);
    const since = await get(`created[gte]=${Math.floor(T0 / 1000) + 3}`);
    expect(since.body.data).toHaveLength(2);
    expect((await get("limit=101")).status).toBe(400);
    expect((await get("limit=1", "cus_missing")).status).toBe(404);
  });

  it("lists promotion codes by code, case-insensitively", async () => {
    const { fake, post } = setup();
    const coupon = fake.state.addCoupon({ percent_off: 20 });
    await post("/v1/promotion_codes", `promotion[type]=coupon&promotion[coupon]=${coupon.id}&code=THANKS-2&metadata[tenure_action_id]=a1`);
    await post("/v1/promotion_codes", `promotion[type]=coupon&promotion[coupon]=${coupon.id}&code=OTHER`);
    const res = await fake.handle(new Request("https://stripe.fake/v1/promotion_codes?code=thanks-2", { headers: { authorization: `Bearer ${KEY}` } }));
    const body = (await res.json()) as { data: { code: string; metadata: Record<string, string> }[] };
    expect(body.data.map((c) => [c.code, c.metadata.tenure_action_id])).toEqual([["THANKS-2", "a1"]]);
  });
});
