import { describe, expect, it } from "vitest";
import { applyReceived, customerByStripeId, postStripe, slackAlerts, stripeEvent } from "./stripe-support";

const DAY_S = 86_400;
const nowS = () => Math.floor(Date.now() / 1000);

/** A trialing customer: customer.created, subscription.created, then Stripe's trial_will_end three days before the end. */
async function trialCustomer(tag: string, opts: { subscriptionPm?: string | null; customerPm?: string | null }) {
  const cus = `cus_trial_${tag}`;
  const sub = `sub_trial_${tag}`;
  const trialEnd = nowS() + 3 * DAY_S;
  const edit = (o: any) => {
    o.id = sub;
    o.customer = cus;
    o.status = "trialing";
    o.trial_end = trialEnd;
    o.default_payment_method = opts.subscriptionPm ?? null;
  };
  await postStripe(
    stripeEvent("customer.created", `evt_trial_cus_${tag}`, (o) => {
      o.id = cus;
      o.email = `ops@${tag}.example`;
      o.metadata = {};
      o.invoice_settings.default_payment_method = opts.customerPm ?? null;
    }),
  );
  await postStripe(stripeEvent("customer.subscription.created", `evt_trial_sub_${tag}`, edit));
  await postStripe(stripeEvent("customer.subscription.trial_will_end", `evt_trial_end_${tag}`, edit));
  await applyReceived();
  return { cus, sub, trialEnd, edit };
}

describe("customer.subscription.trial_will_end without a payment method", () => {
  it("becomes a billing driver in words and one Slack alert, however often Stripe says it", async () => {
    const { cus, edit } = await trialCustomer("nopm", {});
    const c = await customerByStripeId(cus);
    expect(c.state.billing.trialEnding).toMatchObject({ subscriptionId: "sub_trial_nopm", hasPaymentMethod: false });
    expect(c.health.drivers).toContainEqual(
      expect.objectContaining({ factor: "billing.trial_no_payment_method", detail: expect.stringMatching(/^trial ends \d{4}-\d{2}-\d{2} with no payment method on file$/) }),
    );
    const first = await slackAlerts(c.id);
    expect(first.filter((a) => a.rule === "trial_ending_no_payment_method")).toHaveLength(1);

    // Stripe redelivers, and a second notice for the same trial arrives under another event id.
    await postStripe(stripeEvent("customer.subscription.trial_will_end", "evt_trial_end_nopm", edit));
    await postStripe(stripeEvent("customer.subscription.trial_will_end", "evt_trial_end_nopm_again", edit));
    await applyReceived();
    expect((await slackAlerts(c.id)).filter((a) => a.rule === "trial_ending_no_payment_method")).toHaveLength(1);
  });

  it("a payment method added to the customer clears the signal", async () => {
    const { cus } = await trialCustomer("later", {});
    expect((await customerByStripeId(cus)).health.drivers.map((d) => d.factor)).toContain("billing.trial_no_payment_method");
    await postStripe(
      stripeEvent("customer.created", "evt_trial_cus_later_pm", (o) => {
        o.id = cus;
        o.email = "ops@later.example";
        o.metadata = {};
        o.invoice_settings.default_payment_method = "pm_1Card";
      }).replace('"type":"customer.created"', '"type":"customer.updated"'),
    );
    await applyReceived();
    const c = await customerByStripeId(cus);
    expect(c.health.drivers.map((d) => d.factor)).not.toContain("billing.trial_no_payment_method");
  });

  it("no signal and no alert with a payment method on the subscription or the customer", async () => {
    for (const [tag, opts] of [["subpm", { subscriptionPm: "pm_1Sub" }], ["cuspm", { customerPm: "pm_1Cus" }]] as const) {
      const { cus } = await trialCustomer(tag, opts);
      const c = await customerByStripeId(cus);
      expect(c.health.drivers.map((d) => d.factor)).not.toContain("billing.trial_no_payment_method");
      expect((await slackAlerts(c.id)).map((a) => a.rule)).not.toContain("trial_ending_no_payment_method");
    }
  });
});
