import Stripe from "stripe";
import { decodeStripeForm as decodeForm } from "../fakes/stripe-form";
import { describe, expect, it } from "vitest";
import type { OutboxAction } from "../../connectors/connector";
import { classifyStripeError, stripeConnector } from "../../connectors/stripe";
import { IDEMPOTENCY_WINDOW_MS } from "../../connectors/stripe/earlier";
import { action, START, useFakes } from "./harness";

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

describe("stripe connector after Stripe may have forgotten the key", () => {
  const h = useFakes();
  const HOUR = 3_600_000;
  /** The same action on a later attempt whose earlier outcome is unknown. */
  const later = <A extends OutboxAction>(a: A): A => ({ ...a, unconfirmed: true, attempts: 1 });
  const lists = () => h().fakes.stripe.requests.filter((r) => r.method === "GET");
  const posts = () => h().fakes.stripe.requests.filter((r) => r.method === "POST");

  it("puts the action id in the metadata of every money effect", async () => {
    const { fakes, deps } = h();
    const cus = fakes.stripe.state.addCustomer();
    const sub = fakes.stripe.state.addSubscription(cus.id);
    const coupon = fakes.stripe.state.addCoupon({ percent_off: 10 });
    await stripeConnector.deliver(
      [
        action(credit(cus.id), "credit-1"),
        action({ type: "stripe.subscription_discount", subscriptionId: sub.id, coupon: coupon.id, metadata: {} }, "discount-1"),
        action({ type: "stripe.promotion_code", coupon: coupon.id, code: "META-1", metadata: {} }, "promo-1"),
      ],
      deps,
    );
    expect(fakes.stripe.state.balanceTransactions[0]!.metadata).toEqual({ rule: "renewal", tenure_action_id: "credit-1" });
    expect(sub.metadata.tenure_action_id).toBe("discount-1");
    expect([...fakes.stripe.state.promotionCodes.values()][0]!.metadata.tenure_action_id).toBe("promo-1");
  });

  it("a credit whose outcome was lost, retried 30 hours later, is found at Stripe and not paid again", async () => {
    const { fakes, deps, advance } = h();
    const cus = fakes.stripe.state.addCustomer();
    const a = { ...action(credit(cus.id), "credit:lost"), createdAt: START };
    const [first] = await stripeConnector.deliver([a], deps);
    // Newer transactions of the same customer push the credit onto a second page.
    for (let i = 0; i < 120; i++) fakes.stripe.state.createBalanceTransaction(cus.id, decodeForm(`amount=-1&currency=usd`));
    advance(30 * HOUR);
    const [retried] = await stripeConnector.deliver([later(a)], deps);
    expect(retried).toEqual(first);
    expect(fakes.stripe.state.balanceTransactions.filter((t) => t.metadata.tenure_action_id === a.id)).toHaveLength(1);
    expect(lists().map((r) => new URL(r.path, "https://x").searchParams.get("starting_after") !== null)).toEqual([false, true]);
    expect(posts()).toHaveLength(1);
  });

  it("creates the credit late when the earlier attempt made none", async () => {
    const { fakes, deps, advance } = h();
    const cus = fakes.stripe.state.addCustomer();
    const a = { ...action(credit(cus.id), "credit:never-sent"), createdAt: START };
    advance(IDEMPOTENCY_WINDOW_MS);
    const [out] = await stripeConnector.deliver([later(a)], deps);
    expect(out).toMatchObject({ status: "delivered" });
    expect(fakes.stripe.state.balanceTransactions).toHaveLength(1);
    expect(lists()).toHaveLength(1);
  });

  it("within the key's window, the Idempotency-Key alone makes the retry safe: no lookup", async () => {
    const { fakes, deps, advance } = h();
    const cus = fakes.stripe.state.addCustomer();
    const a = { ...action(credit(cus.id), "credit:early"), createdAt: START };
    const [first] = await stripeConnector.deliver([a], deps);
    advance(IDEMPOTENCY_WINDOW_MS - 1);
    const [again] = await stripeConnector.deliver([later(a)], deps);
    expect(again).toEqual(first);
    expect(lists()).toHaveLength(0);
    expect(fakes.stripe.requests.at(-1)!.headers["idempotency-key"]).toBe(a.id);
  });

  it("finds an earlier subscription discount and promotion code the same way", async () => {
    const { fakes, deps, advance } = h();
    const cus = fakes.stripe.state.addCustomer();
    const sub = fakes.stripe.state.addSubscription(cus.id);
    const coupon = fakes.stripe.state.addCoupon({ percent_off: 10 });
    const discount = { ...action({ type: "stripe.subscription_discount", subscriptionId: sub.id, coupon: coupon.id, metadata: {} }, "discount:late"), createdAt: START };
    const promo = { ...action({ type: "stripe.promotion_code", coupon: coupon.id, code: "LATE-1", stripeCustomerId: cus.id, metadata: {} }, "promo:late"), createdAt: START };
    const first = await stripeConnector.deliver([discount, promo], deps);
    const discountIds = [...sub.discounts];
    advance(30 * HOUR);
    const again = await stripeConnector.deliver([later(discount), later(promo)], deps);
    expect(again).toEqual(first);
    expect(sub.discounts).toEqual(discountIds);
    expect(fakes.stripe.state.promotionCodes.size).toBe(1);
    expect(posts()).toHaveLength(2);
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
    [new Stripe.errors.StripeInvalidRequestError({ ...raw(409), code: "idempotency_key_in_use" }), "retry"],
    [new Stripe.errors.StripeRateLimitError(raw(429)), "retry"],
    [new Stripe.errors.StripeConnectionError({ message: "socket hang up" }), "retry"],
    [new Stripe.errors.StripeInvalidRequestError(raw(400)), "permanent"],
    [new Stripe.errors.StripeAuthenticationError(raw(401)), "permanent"],
    [new Stripe.errors.StripeCardError(raw(402, "card_error")), "permanent"],
  ])("%s -> %s", (err, status) => {
    expect(classifyStripeError("a", err).status).toBe(status);
  });
});
