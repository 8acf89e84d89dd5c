import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { tenureConfig } from "../../src/config";
import { referralCodeFor } from "../../src/core/rewards";
import { loadConfig } from "../../src/env";
import { buildCreditedNote } from "../../src/rewards/credited-note";
import { loyaltySyncStmt } from "../../src/store/loyalty";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { api, customerIdOf, postStripe, stripe } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });

const company = fakes.hubspot.addCompany({ name: "Lambda <Labs>", domain: "lambda.example" });
let L: string;
let lCus: string;
const props = () => fakes.hubspot.companies.get(company)!.properties;
const notesOn = () => fakes.hubspot.notes.filter((n) => n.companyIds.includes(company));

beforeAll(async () => {
  await setupHubspotProperties({ cfg, fetch, now: Date.now });
  lCus = fakes.stripe.state.addCustomer({ email: "ops@lambda.example", name: "Lambda" }).id;
  await postStripe(stripe.customer("evt_l_cus", { id: lCus, email: "ops@lambda.example", name: "Lambda", metadata: { hubspot_company_id: company } }));
  await postStripe(stripe.subscription("evt_l_sub", { id: "sub_l", customer: lCus }));
  await postStripe(stripe.invoicePaid("evt_l_inv", { id: "in_l", customer: lCus, email: "ops@lambda.example", subscription: "sub_l", amount: 9_900, charge: "ch_l" }));
  await drain();
  L = await customerIdOf(lCus);
  expect((await api("POST", "/referrals/codes", { customerId: L })).status).toBe(201);
  await drain();
});

describe("HubSpot setup", () => {
  it("a new referral code reaches the company's properties", () => {
    expect(props().tenure_referral_code).toBe(referralCodeFor(L, "FRIEND-"));
  });

  it("declares the loyalty notification properties with their types", () => {
    const defined = (name: string) => fakes.hubspot.props.properties.get(name);
    expect(defined("tenure_referral_code")).toMatchObject({ type: "string" });
    expect(defined("tenure_referral_link")).toMatchObject({ type: "string" });
    expect(defined("tenure_loyalty_last_reward")).toMatchObject({ type: "string" });
    expect(defined("tenure_loyalty_last_reward_at")).toMatchObject({ type: "datetime" });
  });
});

describe("loyalty news reaches HubSpot", () => {
  it("points earned: the balance and the last reward (text and time) are written to the company", async () => {
    for (let i = 0; i < 6; i++) expect((await api("POST", "/loyalty/events", { customerId: L, kind: "review_submitted", ref: `r-${i}` })).status).toBe(201);
    await drain();
    expect(props()).toMatchObject({ tenure_loyalty_points: "600", tenure_loyalty_last_reward: "Earned 100 points: review submitted", tenure_referral_code: referralCodeFor(L, "FRIEND-") });
    expect(Number(props().tenure_loyalty_last_reward_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("a redemption credited at Stripe: the properties say so, and one note lands on the company timeline", async () => {
    const r = await api("POST", "/loyalty/redeem", { customerId: L, points: 500, idempotencyKey: "hs-1" });
    expect(r.status).toBe(201);
    expect(notesOn()).toHaveLength(0);
    await drain();
    expect(fakes.stripe.state.balanceTransactions.filter((t) => t.customer === lCus)).toHaveLength(1);
    expect(props()).toMatchObject({ tenure_loyalty_points: "100", tenure_loyalty_last_reward: "Redeemed 500 points for 5.00 USD credit" });
    const notes = notesOn();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.properties.hs_note_body).toContain("5.00 USD credited to the Stripe balance");
    expect(notes[0]!.properties.hs_note_body).toContain("Loyalty points redeemed (500 points)");
    // A replayed request and another drain make no second note.
    await api("POST", "/loyalty/redeem", { customerId: L, points: 500, idempotencyKey: "hs-1" });
    await drain();
    expect(notesOn()).toHaveLength(1);
    expect((await env.DB.prepare(`SELECT status FROM outbox WHERE id = ?`).bind(`hubspot.note:${r.body.redemptionId}:${company}`).first())).toEqual({ status: "delivered" });
  });

  it("a credit Stripe refuses makes no note", async () => {
    for (let i = 0; i < 4; i++) await api("POST", "/loyalty/events", { customerId: L, kind: "review_submitted", ref: `s-${i}` });
    fakes.stripe.failNext(20, 400);
    const r = await api("POST", "/loyalty/redeem", { customerId: L, points: 500, idempotencyKey: "hs-2" });
    await drain();
    expect((await env.DB.prepare(`SELECT status FROM outbox WHERE id = ?`).bind(r.body.redemptionId).first<{ status: string }>())!.status).not.toBe("delivered");
    expect(notesOn()).toHaveLength(1);
    fakes.stripe.failNext(0, 400);
  });

  it("the referral link is written when referral.linkBase is configured", async () => {
    await env.DB.batch([loyaltySyncStmt(env.DB, L, [], Date.now(), "https://rewards.example.com")]);
    const row = await env.DB.prepare(`SELECT payload FROM outbox WHERE id = ?`).bind(`hubspot.properties:${company}:loyalty`).first<{ payload: string }>();
    const code = referralCodeFor(L, "FRIEND-");
    expect(JSON.parse(row!.payload).properties).toMatchObject({ tenure_referral_code: code, tenure_referral_link: `https://rewards.example.com/r/${code}` });
    await drain();
    expect(props().tenure_referral_link).toBe(`https://rewards.example.com/r/${code}`);
  });
});

describe("the credited note", () => {
  it("escapes the credit's description for HubSpot's HTML note body", () => {
    const note = buildCreditedNote("c1", "cu_1", "42", { type: "stripe.credit", stripeCustomerId: "cus_1", amount: -1250, currency: "eur", description: `<img src=x onerror="alert(1)"> & co`, metadata: {} }, 0);
    expect(note.payload).toMatchObject({ type: "hubspot.note", companyId: "42" });
    const body = (note.payload as { body: string }).body;
    expect(body).toContain("12.50 EUR credited");
    expect(body).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co");
    expect(body).not.toContain("<img");
  });
});
