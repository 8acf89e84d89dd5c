import { describe, expect, it } from "vitest";
import { stripeSource } from "../../webhooks/stripe";
import { fixture, fixturesOf, editedFixture, seconds } from "../support/fixtures";
import { signStripe, STRIPE_TEST_SECRET } from "../support/sign/stripe";
import { runSourceContract } from "./contract";

const fixtures = fixturesOf("stripe");

runSourceContract({
  source: stripeSource,
  secret: STRIPE_TEST_SECRET,
  fixtures,
  sign(body, { now }) {
    return signStripe(body, { now, secret: this.secret });
  },
  timestamped: true,
  signatureHeaders: ["stripe-signature"],
  unknownTypeBody: JSON.stringify({ id: "evt_1QPlanCreated", object: "event", type: "plan.created", created: 1763900000, data: { object: { id: "price_1" } } }),
  malformedBody: JSON.stringify({ id: "evt_1QBadInvoice", object: "event", type: "invoice.paid", created: 1763900000, data: { object: { id: "in_1", object: "invoice", customer: "cus_1", amount_paid: "lots", amount_due: 1, currency: "usd" } } }),
  datedBody: (at) => editedFixture("stripe", "invoice.paid.first", (j) => { j.id = `evt_dated_${at}`; j.created = seconds(at); }),
});

function normalize(name: string) {
  const raw = fixture("stripe", name);
  return stripeSource.normalize(stripeSource.schema.parse(JSON.parse(raw)), raw, { now: 0 });
}

describe("stripe normalization", () => {
  it("verifies Stripe's documented test vector", async () => {
    await expect(
      stripeSource.verify({
        rawBody: '{"id":"evt_test_webhook","object":"event"}',
        headers: new Headers({ "stripe-signature": "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990" }),
        method: "POST",
        url: "https://tenure.example.com/webhooks/stripe",
        now: 1_700_000_010_000,
        secret: "whsec_test_secret",
      }),
    ).resolves.toBeUndefined();
  });

  it("ignores the downgrade-attack v0 scheme", async () => {
    const body = fixture("stripe", "invoice.paid.first");
    const t = Math.floor(Date.now() / 1000);
    await expect(
      stripeSource.verify({ rawBody: body, headers: new Headers({ "stripe-signature": `t=${t},v0=abc` }), method: "POST", url: "", now: Date.now(), secret: STRIPE_TEST_SECRET }),
    ).rejects.toMatchObject({ reason: "malformed_signature" });
  });

  it("first purchase (basil shape: parent.subscription_details)", () => {
    const [d] = normalize("invoice.paid.first");
    expect(d!.dedupeKey).toBe("evt_1QAcmeInvoicePaid1");
    expect(d!.events).toEqual([
      expect.objectContaining({
        type: "invoice.paid",
        reason: "first",
        amountPaid: 49900,
        currency: "usd",
        subscriptionId: "sub_1QAcme0001",
        subject: expect.objectContaining({ stripeCustomerId: "cus_QXg1o8vcGmoR32", domain: "acme.example", email: "ops@acme.example" }),
      }),
    ]);
  });

  it("renewal (pre-basil shape: invoice.subscription, charge)", () => {
    const [d] = normalize("invoice.paid.renewal");
    expect(d!.events[0]).toMatchObject({ type: "invoice.paid", reason: "renewal", subscriptionId: "sub_1QAcme0001", chargeId: "ch_1QAcmeRenew0002" });
  });

  it("a $0 invoice is not a purchase", () => {
    const [d] = normalize("invoice.paid.zero");
    expect(d!.events).toEqual([]);
    expect(d!.ignoredReason).toMatch(/\$0/);
  });

  it("payment failure carries attempt count and next attempt", () => {
    const [d] = normalize("invoice.payment_failed");
    expect(d!.events[0]).toMatchObject({ type: "payment.failed", attemptCount: 2, nextAttemptAt: 1764100000 * 1000, amountDue: 49900 });
  });

  it("subscription update: scheduled cancel, reason, and downgrade from previous_attributes", () => {
    const [d] = normalize("customer.subscription.updated");
    expect(d!.events[0]).toMatchObject({
      type: "subscription.changed",
      status: "active",
      cancelAtPeriodEnd: true,
      cancelAt: 1766578400 * 1000,
      mrr: 49900,
      quantity: 5,
      currentPeriodEnd: 1766578400 * 1000,
      cancellation: { reason: "cancellation_requested", feedback: "switched_service", comment: "Moving to an in-house tool" },
      change: { direction: "downgrade", previousMrr: 99800, previousQuantity: 10 },
    });
  });

  it("subscription deleted is final: canceled with zero MRR", () => {
    const [d] = normalize("customer.subscription.deleted");
    expect(d!.events[0]).toMatchObject({ type: "subscription.changed", status: "canceled", mrr: 0, endedAt: 1766578400 * 1000 });
  });

  it("trial start and end, and the trial-ending notice", () => {
    expect(normalize("customer.subscription.created")[0]!.events[0]).toMatchObject({ status: "trialing", trialStart: 1763900000 * 1000, trialEnd: 1765109600 * 1000 });
    expect(normalize("customer.subscription.trial_will_end")[0]!.events[0]).toMatchObject({ type: "trial.ending", trialEnd: 1765109600 * 1000 });
  });

  it("checkout keeps client_reference_id, promotion code and referral metadata", () => {
    expect(normalize("checkout.session.completed")[0]!.events[0]).toMatchObject({
      type: "checkout.completed",
      clientReferenceId: "ref_friend_A",
      promotionCode: "promo_1QReferral0001",
      referralCode: "ACME-FRIEND",
      amountTotal: 49900,
    });
  });

  it("refunds and disputes carry the charge so they resolve to a customer", () => {
    expect(normalize("charge.refunded")[0]!.events[0]).toMatchObject({ type: "charge.refunded", chargeId: "ch_1QAcmeRenew0002", amountRefunded: 49900 });
    expect(normalize("charge.dispute.created")[0]!.events[0]).toMatchObject({
      type: "dispute.created",
      subject: { stripeChargeId: "ch_1QAcmeRenew0002", stripePaymentIntentId: "pi_1QAcmeRenew0002" },
    });
  });

  it("customer metadata links the account to HubSpot", () => {
    expect(normalize("customer.created")[0]!.events[0]).toMatchObject({
      type: "customer.profile",
      subject: { stripeCustomerId: "cus_QXg1o8vcGmoR32", hubspotCompanyId: "9001", accountId: "acct_acme", domain: "acme.example" },
    });
  });
});
