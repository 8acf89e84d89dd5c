import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { runLoyaltyDaily } from "../../src/rewards/daily";
import { birthdayStmt } from "../../src/store/loyalty";
import { startErasureStmts } from "../../src/store/privacy";
import { seedPersonIds } from "../../src/core/erasure";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { DAY, customerIdOf, ledgerOf, postStripe, stripe } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.renewalOffer.coupon, percent_off: 15, duration: "once" });

/** A customer who bought `daysAgo` days ago, on a yearly plan renewing at `renewsAt`. */
async function customerSince(tag: string, daysAgo: number, renewsAt: number) {
  const email = `ops@${tag}.example`;
  const cus = fakes.stripe.state.addCustomer({ email }).id;
  const sub = fakes.stripe.state.addSubscription(cus).id;
  const bought = Date.now() - daysAgo * DAY;
  await postStripe(stripe.customer(`evt_${tag}_cus`, { id: cus, email, name: tag }));
  await postStripe(stripe.subscription(`evt_${tag}_sub`, { id: sub, customer: cus, startedAt: bought, periodEnd: renewsAt }, bought));
  await postStripe(stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email, subscription: sub, amount: 120_000, charge: `ch_${tag}` }, bought));
  await drain();
  return { id: await customerIdOf(cus), sub };
}

let K: { id: string; sub: string };
let L: { id: string; sub: string };
beforeAll(async () => {
  K = await customerSince("kappa", 365, Date.now() + 200 * DAY);
  L = await customerSince("lambda", 340, Date.now() + 20 * DAY);
});

describe("daily occasions", () => {
  it("awards the anniversary and the one-year badge once, however often the daily run repeats", async () => {
    const now = Date.now();
    await runLoyaltyDaily(env, rules, now);
    await runLoyaltyDaily(env, rules, now + 3_600_000);
    const year = new Date(now).getUTCFullYear();
    expect((await ledgerOf(K.id)).map((e) => [e.id, e.points])).toEqual([
      [`badge:${K.id}:one_year`, 0],
      [`points:${K.id}:anniversary:${year}`, 250],
    ]);
  });

  it("sends the first-renewal offer to a healthy year-one customer, once", async () => {
    const now = Date.now();
    await runLoyaltyDaily(env, rules, now);
    await drain();
    await runLoyaltyDaily(env, rules, now + DAY);
    await drain();
    const calls = fakes.stripe.requests.filter((r) => r.method === "POST" && r.path === `/v1/subscriptions/${L.sub}`);
    expect(calls.map((c) => [c.status, c.headers["idempotency-key"]])).toEqual([[200, `renewal.offer:${L.id}`]]);
    expect(fakes.stripe.state.subscriptions.get(L.sub)!.discounts).toHaveLength(1);
    expect((await ledgerOf(L.id)).find((e) => e.entry === "renewal.offer")).toBeDefined();
    expect((await ledgerOf(K.id)).find((e) => e.entry === "renewal.offer")).toBeUndefined();
  });

  it("awards a contact's birthday once a year, and an erased contact keeps no birthday", async () => {
    const now = Date.now();
    const today = new Date(now).toISOString().slice(5, 10);
    await env.DB.batch([birthdayStmt(env.DB, "hubspot:501", L.id, today, now), birthdayStmt(env.DB, "hubspot:502", L.id, today, now)]);
    await env.DB.prepare(`UPDATE contacts SET email = 'pat@lambda.example' WHERE id = 'hubspot:502'`).run();
    await env.DB.batch(startErasureStmts(env.DB, { id: "er_occasions_502", contactId: "hubspot:502", ids: seedPersonIds({ id: "hubspot:502" }), now }));
    expect(await env.DB.prepare(`SELECT id, birthday FROM contacts WHERE id IN ('hubspot:501', 'hubspot:502') ORDER BY id`).all().then((r) => r.results)).toEqual([
      { id: "hubspot:501", birthday: today },
      { id: "hubspot:502", birthday: null },
    ]);
    await runLoyaltyDaily(env, rules, now + 1000);
    await runLoyaltyDaily(env, rules, now + 2000);
    const year = new Date(now).getUTCFullYear();
    expect((await ledgerOf(L.id)).filter((e) => e.id.includes(":birthday:")).map((e) => e.id)).toEqual([`points:${L.id}:birthday:hubspot:501:${year}`]);
  });
});
