import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { deliverAll, deliverDeps } from "../../src/outbox/run";
import { releaseDueRewards } from "../../src/rewards/daily";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { DAY, api, customerIdOf, ledgerOf, postStripe, referralOf, stripe } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());

fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });

/** A paying customer: Stripe customer, active subscription, first invoice paid. */
async function payingCustomer(tag: string, domain: string, amount = 49_900) {
  const cus = fakes.stripe.state.addCustomer({ email: `ops@${domain}`, name: tag }).id;
  for (const body of [
    stripe.customer(`evt_${tag}_cus`, { id: cus, email: `ops@${domain}`, name: tag }),
    stripe.subscription(`evt_${tag}_sub`, { id: `sub_${tag}`, customer: cus }),
    stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email: `ops@${domain}`, subscription: `sub_${tag}`, amount, charge: `ch_${tag}` }),
  ]) expect((await postStripe(body)).status).toBe(200);
  await drain();
  return { cus, id: await customerIdOf(cus) };
}

/** A friend checking out with a referral: their customer, the checkout, and (optionally) the first invoice. */
async function friend(tag: string, ref: { promotionCode?: string; clientReferenceId?: string }, opts: { pay?: boolean; deliveries?: number } = {}) {
  const cus = fakes.stripe.state.addCustomer({ email: `owner@${tag}.example`, name: tag }).id;
  const email = `owner@${tag}.example`;
  await postStripe(stripe.customer(`evt_${tag}_cus`, { id: cus, email, name: tag }));
  await postStripe(stripe.checkout(`evt_${tag}_cs`, { id: `cs_${tag}`, customer: cus, email, subscription: `sub_${tag}`, ...ref }));
  const invoice = stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email, subscription: `sub_${tag}`, amount: 49_900, charge: `ch_${tag}`, promotionCode: ref.promotionCode });
  if (opts.pay !== false) for (let i = 0; i < (opts.deliveries ?? 1); i++) expect((await postStripe(invoice)).status).toBe(200);
  await drain();
  return { cus, id: await customerIdOf(cus), invoice };
}

async function codeFor(customerId: string) {
  const created = await api("POST", "/referrals/codes", { customerId });
  expect(created.status).toBe(201);
  await drain();
  const again = await api("POST", "/referrals/codes", { customerId });
  expect(again.status).toBe(200);
  return again.body as { code: string; promotionCodeId: string; actionId: string };
}

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
    expect((await ledgerOf(A.id)).map((e) => e.id)).toEqual([
      `referral:${B.id}:qualified`,
      `badge:${A.id}:first_referral`,
      `points:${A.id}:referral_qualified:${B.id}`,
      `referral:${B.id}:paid`,
    ].sort((a, b) => (a.startsWith("referral:") && a.endsWith("qualified") ? -1 : b.startsWith("referral:") && b.endsWith("qualified") ? 1 : a < b ? -1 : 1)));
    const metrics = await api("GET", `/referrals?referrerId=${A.id}`);
    expect(metrics.body).toMatchObject({ invites: { codes: 1, attributions: 1 }, conversions: 1, credits: { paid: { usd: 5000 }, held: {}, clawedBack: {} } });
  });
});
