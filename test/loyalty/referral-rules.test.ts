import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { deliverAll, deliverDeps } from "../../src/outbox/run";
import { releaseDueRewards } from "../../src/rewards/daily";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { DAY, api, customerIdOf, ledgerOf, postStripe, referralOf, scenario, stripe } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
const { payingCustomer, friend, codeFor } = scenario(fakes.stripe);

const creditsTo = (cus: string) => fakes.stripe.state.balanceTransactions.filter((t) => t.customer === cus);
const bandOf = async (id: string) => (await env.DB.prepare(`SELECT band FROM customers WHERE id = ?`).bind(id).first<{ band: string }>())!.band;

let A: { cus: string; id: string };
let code: { code: string; promotionCodeId: string };
beforeAll(async () => {
  A = await payingCustomer("alpha", "alpha.example");
  code = await codeFor(A.id);
});

describe("referral rules end to end", () => {
  it("attributes through client_reference_id, and a refund during the hold cancels the reward", async () => {
    const C = await friend("gamma", { clientReferenceId: code.code.toLowerCase() });
    expect(await referralOf(C.id)).toMatchObject({ referrer_id: A.id, source: "client_reference_id", status: "pending" });
    await postStripe(stripe.refund("evt_gamma_refund", { charge: "ch_gamma", customer: C.cus, invoice: "in_gamma", amount: 49_900 }));
    await drain();
    expect(await referralOf(C.id)).toMatchObject({ status: "canceled", reason: "refund ch_gamma of the qualifying payment during the hold" });
    expect(await releaseDueRewards(env.DB, rules, Date.now() + 15 * DAY)).toMatchObject({ paid: 0 });
    expect(await env.DB.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE id = ?`).bind(`referral.credit:${C.id}`).first()).toEqual({ n: 0 });
    expect((await ledgerOf(A.id)).find((e) => e.id === `referral:${C.id}:canceled`)).toMatchObject({ entry: "referral.canceled", reason: expect.stringContaining("refund") });
  });

  it("refuses a self-referral with its reason in the ledger", async () => {
    await postStripe(stripe.checkout("evt_alpha_cs2", { id: "cs_alpha_2", customer: A.cus, email: "ops@alpha.example", subscription: "sub_alpha_2", promotionCode: code.promotionCodeId }));
    await drain();
    expect(await referralOf(A.id)).toMatchObject({ status: "refused", reason: "self-referral: the code belongs to this customer" });
    expect((await ledgerOf(A.id)).find((e) => e.id === `referral:${A.id}:refused`)).toMatchObject({ reason: "self-referral: the code belongs to this customer" });
  });

  it("refuses a friend who was already a customer, with the reason", async () => {
    const cus = fakes.stripe.state.addCustomer({ email: "ops@delta.example" }).id;
    const longAgo = Date.now() - 40 * DAY;
    await postStripe(stripe.customer("evt_delta_cus", { id: cus, email: "ops@delta.example", name: "delta" }));
    await postStripe(stripe.invoicePaid("evt_delta_inv", { id: "in_delta_old", customer: cus, email: "ops@delta.example", subscription: "sub_delta", amount: 9_900, charge: "ch_delta_old" }, longAgo));
    await drain();
    await postStripe(stripe.checkout("evt_delta_cs", { id: "cs_delta", customer: cus, email: "ops@delta.example", subscription: "sub_delta_2", promotionCode: code.promotionCodeId }));
    await drain();
    const D = await customerIdOf(cus);
    expect(await referralOf(D)).toMatchObject({ status: "refused", reason: expect.stringMatching(/^already a customer: invoice in_delta_old was paid/) });
    expect((await ledgerOf(A.id)).find((e) => e.id === `referral:${D}:refused`)?.reason).toMatch(/^already a customer/);
  });

  it("refuses a friend who paid with the referrer's card (fingerprint from Stripe customer metadata)", async () => {
    const S = await payingCustomer("sigma", "sigma.example", { metadata: { card_fingerprint: "fp_shared" } });
    const sCode = await codeFor(S.id);
    const T = await friend("tau", { promotionCode: sCode.promotionCodeId }, { metadata: { card_fingerprint: "fp_shared" } });
    expect(await referralOf(T.id)).toMatchObject({ status: "refused", reason: "self-referral: both customers paid with the same card" });
  });

  it("attributes manually, once, and applies the same rules", async () => {
    const cus = fakes.stripe.state.addCustomer({ email: "ops@epsilon.example" }).id;
    await postStripe(stripe.customer("evt_eps_cus", { id: cus, email: "ops@epsilon.example", name: "epsilon" }));
    await drain();
    const E = await customerIdOf(cus);
    const first = await api("POST", "/referrals", { referrerId: A.id, referredId: E });
    expect(first).toMatchObject({ status: 201, body: { referral: { referrerId: A.id, source: "manual", status: "attributed" } } });
    expect(await api("POST", "/referrals", { referrerId: A.id, referredId: E })).toMatchObject({ status: 409, body: { error: { code: "already_referred" } } });
    expect(await api("POST", "/referrals", { referrerId: A.id, referredId: "cu_nobody" })).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    await postStripe(stripe.invoicePaid("evt_eps_inv", { id: "in_eps", customer: cus, email: "ops@epsilon.example", subscription: "sub_eps", amount: 19_900, charge: "ch_eps" }));
    await drain();
    expect(await referralOf(E)).toMatchObject({ status: "pending", invoice_id: "in_eps" });
  });
});

describe("a red referrer's reward is held, then paid when they recover", () => {
  it("holds while the referrer is red and past due, and pays on their next scoring once healthy", async () => {
    const R = await payingCustomer("rho", "rho.example");
    const rCode = await codeFor(R.id);
    const F = await friend("phi", { promotionCode: rCode.promotionCodeId });
    expect((await referralOf(F.id))!.status).toBe("pending");

    await postStripe(stripe.subscription("evt_rho_sub_unpaid", { id: "sub_rho", customer: R.cus, status: "unpaid" }, Date.now()));
    for (let attempt = 1; attempt <= 4; attempt++) {
      await postStripe(stripe.paymentFailed(`evt_rho_fail_${attempt}`, { id: "in_rho_2", customer: R.cus, subscription: "sub_rho", amount: 49_900, attempt }));
    }
    await drain();
    expect(await bandOf(R.id)).toBe("red");

    const at = Date.now() + 15 * DAY;
    // (epsilon's manual referral, from the block above, is due too and pays; rho's is held.)
    expect(await releaseDueRewards(env.DB, rules, at)).toMatchObject({ held: 1 });
    expect(await referralOf(F.id)).toMatchObject({ status: "held", reason: "referrer is in the red health band" });
    expect(await releaseDueRewards(env.DB, rules, at + DAY)).toMatchObject({ paid: 0, held: 0 });
    expect((await ledgerOf(R.id)).filter((e) => e.entry === "referral.held")).toHaveLength(1);
    expect((await api("GET", `/referrals?referrerId=${R.id}`)).body.credits.held).toEqual({ usd: 5000 });

    // Stripe's clock orders the facts: the recovery comes after the failures.
    const later = Date.now() + 1000;
    await postStripe(stripe.subscription("evt_rho_sub_active", { id: "sub_rho", customer: R.cus, status: "active" }, later));
    await postStripe(stripe.invoicePaid("evt_rho_inv_2", { id: "in_rho_2", customer: R.cus, email: "ops@rho.example", subscription: "sub_rho", amount: 49_900, charge: "ch_rho_2", reason: "subscription_cycle" }, later));
    await drain();
    expect(await bandOf(R.id)).not.toBe("red");
    expect(await referralOf(F.id)).toMatchObject({ status: "paid", reason: null });
    await deliverAll(env, [`referral.credit:${F.id}`], deliverDeps(env));
    expect(creditsTo(R.cus)).toEqual([expect.objectContaining({ amount: -5000, currency: "usd" })]);
  });
});
