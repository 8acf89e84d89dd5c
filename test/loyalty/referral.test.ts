import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { deliverAll, deliverDeps } from "../../src/outbox/run";
import { releaseDueRewards } from "../../src/rewards/daily";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { DAY, api, ledgerOf, postStripe, referralOf, scenario, stripe } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());

fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
const { payingCustomer, friend, codeFor } = scenario(fakes.stripe);

const creditsTo = (cus: string) => fakes.stripe.state.balanceTransactions.filter((t) => t.customer === cus);

describe("referrals: A shares a code, B checks out with it and pays", () => {
  let A: { cus: string; id: string };
  let B: { cus: string; id: string; invoice: string };
  let code: { code: string; promotionCodeId: string; actionId: string };

  beforeAll(async () => {
    A = await payingCustomer("alpha", "alpha.example");
    code = await codeFor(A.id);
  });

  it("creates one Stripe promotion code per referrer, on the referral coupon, for first-time customers", () => {
    const promos = [...fakes.stripe.state.promotionCodes.values()];
    expect(promos).toHaveLength(1);
    expect(promos[0]).toMatchObject({ id: code.promotionCodeId, code: code.code, promotion: { coupon: rules.rewards.referral.coupon }, customer: null, restrictions: { first_time_transaction: true } });
  });

  it("qualifies B's first paid invoice once, however often it is delivered, and starts the hold", async () => {
    B = await friend("beta", { promotionCode: code.promotionCodeId }, { deliveries: 5 });
    const r = await referralOf(B.id);
    expect(r).toMatchObject({ referrer_id: A.id, source: "promotion_code", status: "pending", invoice_id: "in_beta", charge_id: "ch_beta", reward_amount: 5000, currency: "usd" });
    expect(r!.release_at - r!.qualified_at).toBe(14 * DAY);
    expect((await ledgerOf(A.id)).map((e) => e.id)).toEqual([`referral:${B.id}:qualified`]);
    expect(creditsTo(A.cus)).toHaveLength(0);
  });

  it("after the hold, exactly one credit reaches Stripe, through a retry and a replayed delivery", async () => {
    const at = Date.now() + 15 * DAY;
    expect((await releaseDueRewards(env.DB, rules, at - 2 * DAY)).paid).toBe(0);
    const released = await releaseDueRewards(env.DB, rules, at);
    const rewardId = `referral.credit:${B.id}`;
    expect(released).toMatchObject({ paid: 1, actionIds: [rewardId] });
    expect(await releaseDueRewards(env.DB, rules, at + DAY)).toMatchObject({ paid: 0, actionIds: [] });
    // The outbox, on the same (simulated) clock as the release.
    const deliverAt = (t: number) => deliverAll(env, [rewardId], { ...deliverDeps(env), now: () => t });

    fakes.stripe.failNext(1, 500);
    await deliverAt(at);
    expect(await env.DB.prepare(`SELECT status, attempts FROM outbox WHERE id = ?`).bind(rewardId).first()).toEqual({ status: "pending", attempts: 1 });
    await deliverAt(at + 3_600_000);
    // A worker that dies after Stripe answered and before recording it: the action runs again with the same key.
    await env.DB.prepare(`UPDATE outbox SET status = 'pending', next_attempt_at = 0 WHERE id = ?`).bind(rewardId).run();
    await deliverAt(at + 7_200_000);
    for (let i = 0; i < 5; i++) await postStripe(B.invoice);
    await drain();

    const calls = fakes.stripe.requests.filter((r) => r.path === `/v1/customers/${A.cus}/balance_transactions`);
    expect(calls.map((c) => [c.status, c.headers["idempotency-key"]])).toEqual([
      [500, rewardId],
      [200, rewardId],
      [200, rewardId],
    ]);
    const credits = creditsTo(A.cus);
    expect(credits).toHaveLength(1);
    expect(credits[0]).toMatchObject({ amount: -5000, currency: "usd", metadata: { tenure_reward_id: rewardId } });
    const stored = await env.DB.prepare(`SELECT status, result FROM outbox WHERE id = ?`).bind(rewardId).first<{ status: string; result: string }>();
    expect(stored!.status).toBe("delivered");
    expect(JSON.parse(stored!.result)).toBe(credits[0]!.id);
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE type = 'stripe.credit'`).first()).toEqual({ n: 1 });
  });

  it("records the payout, the referral points and the first-referral badge in A's ledger", async () => {
    expect((await referralOf(B.id))!.status).toBe("paid");
    expect((await ledgerOf(A.id)).map((e) => e.id).sort()).toEqual(
      [`referral:${B.id}:qualified`, `referral:${B.id}:paid`, `points:${A.id}:referral_qualified:${B.id}`, `badge:${A.id}:first_referral`].sort(),
    );
    const metrics = await api("GET", `/referrals?referrerId=${A.id}`);
    expect(metrics.body).toMatchObject({ invites: { codes: 1, attributions: 1 }, conversions: 1, credits: { paid: { usd: 5000 }, held: {}, clawedBack: {} } });
  });

  it("a dispute of the qualifying payment after payout posts one reversing balance transaction", async () => {
    for (let i = 0; i < 3; i++) await postStripe(stripe.dispute("evt_beta_dispute", { id: "du_beta", charge: "ch_beta", amount: 49_900 }));
    await drain();
    expect(await referralOf(B.id)).toMatchObject({ status: "clawed_back", reason: "dispute du_beta of the qualifying payment after payout" });
    expect(creditsTo(A.cus).map((t) => [t.amount, t.metadata.tenure_reward_id])).toEqual([
      [-5000, `referral.credit:${B.id}`],
      [5000, `referral.clawback:${B.id}`],
    ]);
    expect((await ledgerOf(A.id)).filter((e) => e.entry === "points.reversed" || e.entry === "referral.clawed_back").map((e) => [e.entry, e.points, e.amount])).toEqual(
      expect.arrayContaining([
        ["referral.clawed_back", 0, -5000],
        ["points.reversed", -rules.rewards.points.earn.referral_qualified!, null],
      ]),
    );
    expect((await api("GET", `/referrals?referrerId=${A.id}`)).body.credits.clawedBack).toEqual({ usd: 5000 });
  });
});
