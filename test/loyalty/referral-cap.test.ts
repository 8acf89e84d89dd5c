import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import worker from "../../src/index";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { api, customerIdOf, ledgerOf, postStripe, referralOf, scenario, stripe } from "./support";

/** The deployment's config with a monthly cap of one reward per referrer. */
const CAP_ONE = JSON.stringify({ rewards: { referral: { monthlyCapPerReferrer: 1 } } });
const cappedEnv = { ...env, TENURE_CONFIG: CAP_ONE };

const cfg = loadConfig(env);
const rules = tenureConfig(CAP_ONE);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
const { payingCustomer, codeFor } = scenario(fakes.stripe);

/** Every received inbox event, in ONE consumer batch, under the capped config. */
async function oneConsumerBatch(): Promise<number> {
  const { results } = await env.DB.prepare(`SELECT id FROM inbox_events WHERE status = 'received'`).all<{ id: string }>();
  const batch = createMessageBatch(
    "tenure-events",
    results.map((r, i) => ({ id: `cap-${i}-${r.id}`, timestamp: new Date(), attempts: 1, body: { eventId: r.id } })),
  );
  await worker.queue!(batch as MessageBatch<never>, cappedEnv as never);
  const outcome = await getQueueResult(batch, createExecutionContext());
  expect(outcome.retryMessages).toEqual([]);
  return results.length;
}

/** A friend's Stripe customer and checkout with the referrer's promotion code; their first invoice comes later. */
async function friendCheckout(tag: string, promotionCode: string) {
  const email = `owner@${tag}.example`;
  const cus = fakes.stripe.state.addCustomer({ email, name: tag }).id;
  expect((await postStripe(stripe.customer(`evt_${tag}_cus`, { id: cus, email, name: tag }))).status).toBe(200);
  expect((await postStripe(stripe.checkout(`evt_${tag}_cs`, { id: `cs_${tag}`, customer: cus, email, subscription: `sub_${tag}`, promotionCode }))).status).toBe(200);
  const invoice = stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email, subscription: `sub_${tag}`, amount: 49_900, charge: `ch_${tag}`, promotionCode });
  return { cus, invoice };
}

describe("the referral monthly cap, with two friends qualifying in one consumer batch", () => {
  let referrer: { id: string };
  let friends: { id: string }[];

  beforeAll(async () => {
    referrer = await payingCustomer("capref", "capref.example");
    const code = await codeFor(referrer.id);
    const checkouts = [await friendCheckout("capfriend1", code.promotionCodeId), await friendCheckout("capfriend2", code.promotionCodeId)];
    await oneConsumerBatch();
    for (const c of checkouts) expect((await postStripe(c.invoice)).status).toBe(200);
    expect(await oneConsumerBatch()).toBe(2);
    friends = await Promise.all(checkouts.map(async (c) => ({ id: await customerIdOf(c.cus) })));
  });

  it("leaves exactly one reward pending", async () => {
    const rows = await Promise.all(friends.map((f) => referralOf(f.id)));
    expect(rows.map((r) => r!.referrer_id)).toEqual([referrer.id, referrer.id]);
    expect(rows.map((r) => r!.status).sort()).toEqual(["pending", "refused"]);
  });

  it("records the other as refused for the cap, with its reason where refusals are shown", async () => {
    const rows = await Promise.all(friends.map((f) => referralOf(f.id)));
    const refused = rows.find((r) => r!.status === "refused")!;
    const month = new Date(refused.qualified_at).toISOString().slice(0, 7);
    expect(refused).toMatchObject({ reason: `monthly cap reached: the referrer already has 1 rewards in ${month}`, reward_amount: null, release_at: null });
    expect(refused.ended_at).toBe(refused.qualified_at);
    const ledger = await ledgerOf(referrer.id);
    const pending = rows.find((r) => r!.status === "pending")!;
    expect(ledger.map((e) => [e.id, e.entry, e.reason])).toEqual(
      expect.arrayContaining([
        [`referral:${pending.referred_id}:qualified`, "referral.qualified", null],
        [`referral:${refused.referred_id}:refused`, "referral.refused", refused.reason],
      ]),
    );
    expect(ledger.some((e) => e.id === `referral:${refused.referred_id}:qualified`)).toBe(false);
    // The referrer's loyalty record (the API and the dashboard's ledger) lists it beside the other refusals.
    const shown = await api("GET", `/loyalty/customers/${referrer.id}`);
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.body)).toContain(JSON.stringify(refused.reason));
    expect((await api("GET", "/referrals")).body.referrers).toEqual([expect.objectContaining({ referrerId: referrer.id, conversions: 1, refused: 1 })]);
  });
});
