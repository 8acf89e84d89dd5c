import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { classifyStripeError, stripeConnector } from "../../connectors/stripe";
import { action, useFakes } from "./harness";

const credit = (stripeCustomerId: string, amount = -5_000) =>
  ({ type: "stripe.credit", stripeCustomerId, amount, currency: "usd", description: "Loyalty credit", metadata: { rule: "renewal" } }) as const;

describe("stripe connector", () => {
  const h = useFakes();

  it("creates a balance transaction keyed by the action id", async () => {
    const { fakes, deps } = h();
    const cus = fakes.stripe.state.addCustomer();
    const a = action(credit(cus.id), "credit:renewal:cust_1:2026-10");
    const [out] = await stripeConnector.deliver([a], deps);
    const txn = fakes.stripe.state.balanceTransactions[0]!;
    expect(out).toEqual({ id: a.id, status: "delivered", result: txn.id });
    expect(txn).toMatchObject({ amount: -5_000, currency: "usd", metadata: { rule: "renewal" } });
    expect(fakes.stripe.requests[0]!.headers["idempotency-key"]).toBe(a.id);
  });

  it("a retried credit produces one balance transaction", async () => {
    const { fakes, deps } = h();
    const cus = fakes.stripe.state.addCustomer();
    const a = action(credit(cus.id));
    fakes.stripe.failNext(1, 503);
    const [first] = await stripeConnector.deliver([a], deps);
    expect(first).toMatchObject({ status: "retry", httpStatus: 503 });
    const [second] = await stripeConnector.deliver([a], deps);
    // The outbox lost the answer (say the worker died after the call): the same key replays it.
    const [third] = await stripeConnector.deliver([a], deps);
    expect(second).toMatchObject({ status: "delivered" });
    expect(third).toEqual(second);
    expect(fakes.stripe.state.balanceTransactions).toHaveLength(1);
    expect(fakes.stripe.state.customers.get(cus.id)!.balance).toBe(-5_000);
  });

  it("refuses the same key with other parameters as permanent", async () => {
    const { fakes, deps } = h();
    const cus = fakes.stripe.state.addCustomer();
    await stripeConnector.deliver([action(credit(cus.id, -100), "same-key")], deps);
    const [out] = await stripeConnector.deliver([action(credit(cus.id, -900), "same-key")], deps);
    expect(out).toMatchObject({ status: "permanent", httpStatus: 400 });
    expect(out!.status === "permanent" && out!.error).toContain("idempotency_error");
  });

  it("an unknown customer is permanent", async () => {
    const [out] = await stripeConnector.deliver([action(credit("cus_missing"))], h().deps);
    expect(out).toMatchObject({ status: "permanent", httpStatus: 404 });
  });

  it("applies a coupon to a subscription through discounts[]", async () => {
    const { fakes, deps } = h();
    const sub = fakes.stripe.state.addSubscription(fakes.stripe.state.addCustomer().id);
    const coupon = fakes.stripe.state.addCoupon({ percent_off: 15 });
    const [out] = await stripeConnector.deliver(
      [action({ type: "stripe.subscription_discount", subscriptionId: sub.id, coupon: coupon.id, metadata: {} })],
      deps,
    );
    expect(out).toMatchObject({ status: "delivered", result: sub.id });
    expect(sub.discounts).toHaveLength(1);
    const [bad] = await stripeConnector.deliver(
      [action({ type: "stripe.subscription_discount", subscriptionId: sub.id, coupon: "nope", metadata: {} })],
      deps,
    );
    expect(bad).toMatchObject({ status: "permanent", httpStatus: 400 });
  });

  it("creates a first-time promotion code for a customer", async () => {
    const { fakes, deps } = h();
    const cus = fakes.stripe.state.addCustomer();
    const coupon = fakes.stripe.state.addCoupon({ percent_off: 20 });
    const [out] = await stripeConnector.deliver(
      [action({ type: "stripe.promotion_code", coupon: coupon.id, code: "THANKS-ACME", stripeCustomerId: cus.id, metadata: { why: "referral" } })],
      deps,
    );
    const promo = [...fakes.stripe.state.promotionCodes.values()][0]!;
    expect(out).toMatchObject({ status: "delivered", result: promo.id });
    expect(promo).toMatchObject({ code: "THANKS-ACME", customer: cus.id, restrictions: { first_time_transaction: true }, promotion: { coupon: coupon.id } });
  });

  it("does not hand a HubSpot action to Stripe", async () => {
    const [out] = await stripeConnector.deliver([action({ type: "hubspot.note", companyId: "1", body: "x", timestamp: 0 })], h().deps);
    expect(out).toMatchObject({ status: "permanent" });
    expect(h().fakes.stripe.requests).toHaveLength(0);
  });

  it("is disabled without a secret key", () => {
    expect(stripeConnector.disabledReason({ ...h().cfg, STRIPE_SECRET_KEY: undefined })).toContain("STRIPE_SECRET_KEY");
  });
});

describe("stripe connector under the rate limit", () => {
  const h = useFakes({ stripe: { requestsPerSecond: 1 } });

  it("retries a 429 and holds back the rest", async () => {
    const { fakes, deps } = h();
    const cus = fakes.stripe.state.addCustomer();
    const out = await stripeConnector.deliver([action(credit(cus.id)), action(credit(cus.id)), action(credit(cus.id))], deps);
    expect(out.map((o) => o.status)).toEqual(["delivered", "retry", "retry"]);
    expect(out[1]).toMatchObject({ httpStatus: 429, retryAfterMs: 1_000 });
    expect(fakes.stripe.requests).toHaveLength(2);
  });
});

describe("classifyStripeError", () => {
  type RawType = "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
  const raw = (statusCode: number, type: RawType = "invalid_request_error") => ({ statusCode, type, message: "m" });
  it.each([
    [new Stripe.errors.StripeAPIError(raw(500, "api_error")), "retry"],
    [new Stripe.errors.StripeAPIError(raw(409, "idempotency_error")), "retry"],
    [new Stripe.errors.StripeRateLimitError(raw(429)), "retry"],
    [new Stripe.errors.StripeConnectionError({ message: "socket hang up" }), "retry"],
    [new Stripe.errors.StripeInvalidRequestError(raw(400)), "permanent"],
    [new Stripe.errors.StripeAuthenticationError(raw(401)), "permanent"],
    [new Stripe.errors.StripeCardError(raw(402, "card_error")), "permanent"],
  ])("%s -> %s", (err, status) => {
    expect(classifyStripeError("a", err).status).toBe(status);
  });
});
