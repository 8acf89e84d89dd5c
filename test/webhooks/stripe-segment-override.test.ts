import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { componentNames, defaultHealthModel } from "../../src/core/health";
import { editedFixture } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";
import { applyReceived, customerByStripeId, postStripe, stripeEvent, type StoredHealth } from "./stripe-support";

/** docs/health-model.md#overrides: an override for the `vip` segment that judges VIPs mostly on what they say. */
const OVERRIDE = { name: "vip-listen", when: { segment: ["vip"] }, weights: { billing: 10, sentiment: 90 } };
const CONFIG = JSON.stringify({ health: { overrides: [OVERRIDE] } });

/** An account paying 2,500.00 a month (VIP from 1,000.00) whose admin answered an NPS survey with 2. */
async function vipWithDetractor(tag: string) {
  const cus = `cus_vip_${tag}`;
  const email = `ops@${tag}.example`;
  await postStripe(
    stripeEvent("customer.created", `evt_vip_cus_${tag}`, (o) => {
      o.id = cus;
      o.email = email;
      o.metadata = {};
    }),
  );
  await postStripe(
    stripeEvent("customer.subscription.created", `evt_vip_sub_${tag}`, (o) => {
      o.id = `sub_vip_${tag}`;
      o.customer = cus;
      o.status = "active";
      o.trial_end = null;
      o.items.data[0].price.unit_amount = 250_000;
      o.items.data[0].quantity = 1;
    }),
  );
  const survey = editedFixture("delighted", "survey_response.created", (j) => {
    j.event_id = `vip-${tag}`;
    j.event_data.id = `vip-${tag}`;
    j.event_data.person.email = email;
    j.event_data.score = 2;
    j.event_data.created_at = j.event_data.updated_at = Math.floor(Date.now() / 1000) - 30;
  });
  const res = await SELF.fetch("https://tenure.example.com/webhooks/delighted", { method: "POST", body: survey, headers: await signDelighted("delighted_secret", survey) });
  expect(res.status).toBe(200);
  return cus;
}

/** The overall score as docs/health-model.md defines it: the weighted mean of the components that have data. */
function weightedMean(components: StoredHealth["health"]["components"], weights: Record<string, number>): number {
  const present = componentNames.filter((c) => components[c] !== null && weights[c]! > 0);
  const total = present.reduce((n, c) => n + weights[c]!, 0);
  return Math.round(present.reduce((n, c) => n + weights[c]! * components[c]!, 0) / total);
}

describe("segment overrides in live scoring (webhook -> queue -> score)", () => {
  it("a VIP is scored with the override's weights, exactly the documented weighted mean", async () => {
    const cus = await vipWithDetractor("listen");
    await applyReceived({ TENURE_CONFIG: CONFIG });
    const c = await customerByStripeId(cus);
    expect(c.state.sentiment.responses["vip-listen"]).toMatchObject({ score: 2 });
    const { components } = c.health;
    expect(components.billing).not.toBeNull();
    expect(components.sentiment).not.toBeNull();
    expect(components.billing).not.toBe(components.sentiment);

    const overridden = { ...defaultHealthModel.weights, ...OVERRIDE.weights };
    expect(c.health.overrides).toEqual(["vip-listen"]);
    expect(c.score).toBe(weightedMean(components, overridden));
    expect(c.score).not.toBe(weightedMean(components, defaultHealthModel.weights));
  });

  it("without the segment the override does not apply", async () => {
    const cus = await vipWithDetractor("small");
    // The same account at 250.00 a month is not a VIP.
    await postStripe(
      stripeEvent("customer.subscription.updated", "evt_vip_sub_small_down", (o) => {
        o.id = "sub_vip_small";
        o.customer = cus;
        o.status = "active";
        o.trial_end = null;
        o.items.data[0].price.unit_amount = 25_000;
        o.items.data[0].quantity = 1;
      }),
    );
    await applyReceived({ TENURE_CONFIG: CONFIG });
    const c = await customerByStripeId(cus);
    expect(c.health.overrides).toEqual([]);
    expect(c.score).toBe(weightedMean(c.health.components, defaultHealthModel.weights));
  });
});
