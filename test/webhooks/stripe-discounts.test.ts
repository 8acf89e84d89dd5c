import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { attributionCandidates } from "../../src/core/rewards/referrals";
import { loadConfig } from "../../src/env";
import { resolveStripeDiscounts, resolveStripeDiscountsHourly } from "../../src/jobs/stripe-discounts";
import type { ReconcileDeps } from "../../src/reconcile";
import { normalizeStripe } from "../../webhooks/stripe/normalize";
import { stripeEventSchema } from "../../webhooks/stripe/schemas";
import { recordingQueue } from "../backfill/apply";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { fixture } from "../support/fixtures";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "./stripe-support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg, { stripe: { requestsPerSecond: 1000 } });
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());

const queue = recordingQueue();
const deps = (over: Partial<ReconcileDeps> = {}): ReconcileDeps => ({ db: env.DB, cfg, fetch, now: () => Date.now(), events: queue, ...over });
const invoiceLookups = () => fakes.stripe.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v1/invoices/"));

function normalized(raw: string) {
  return normalizeStripe(stripeEventSchema.parse(JSON.parse(raw)), raw)[0]!.events[0] as any;
}

/** A paying customer whose first invoice lists its discount as an id, as basil+ webhooks do. */
async function discountedFirstInvoice(tag: string, discountId: string) {
  const cus = `cus_disc_${tag}`;
  await postStripe(
    stripeEvent("customer.created", `evt_disc_cus_${tag}`, (o) => {
      o.id = cus;
      o.email = `billing@${tag}.example`;
      o.metadata = {};
    }),
  );
  await postStripe(
    stripeEvent("invoice.paid.discount_ids", `evt_disc_inv_${tag}`, (o) => {
      o.id = `in_disc_${tag}`;
      o.customer = cus;
      o.customer_email = `billing@${tag}.example`;
      o.discounts = [discountId];
    }),
  );
  await applyReceived();
  return cus;
}

describe("promotion codes from id-string discounts", () => {
  it("the webhook keeps expanded promotion codes, and lists bare discount ids to resolve", () => {
    const bare = normalized(fixture("stripe", "invoice.paid.discount_ids"));
    expect(bare).toMatchObject({ type: "invoice.paid", discountIds: ["di_1QAcmeFriend01"] });
    expect(bare).not.toHaveProperty("promotionCode");
    const expanded = fixture("stripe", "invoice.paid.discount_ids").replace('"discounts": [\n        "di_1QAcmeFriend01"\n      ]', '"discounts": [{"id": "di_1QAcmeFriend01", "object": "discount", "promotion_code": "promo_1Friend", "coupon": {"id": "tenure-referral-friend"}}]');
    expect(expanded).not.toBe(fixture("stripe", "invoice.paid.discount_ids"));
    expect(normalized(expanded)).toMatchObject({ promotionCode: "promo_1Friend" });
    expect(normalized(expanded)).not.toHaveProperty("discountIds");
  });

  it("resolves the promotion code through GET /v1/invoices/:id?expand[]=discounts, off the webhook path, once", async () => {
    const before = invoiceLookups().length;
    const cus = await discountedFirstInvoice("friend", "di_friend");
    // The webhook itself called nothing.
    expect(invoiceLookups().length).toBe(before);
    expect((await customerByStripeId(cus)).state.billing.invoices.in_disc_friend.promotionCode).toBeUndefined();

    fakes.stripe.lists.addInvoice({ id: "in_disc_friend", object: "invoice", customer: cus, discounts: ["di_friend"] });
    fakes.stripe.discounts.add({ id: "di_friend", promotion_code: "promo_1Friend", coupon: "tenure-referral-friend", invoice: "in_disc_friend", customer: cus });
    expect(await resolveStripeDiscounts(deps())).toEqual({ resolved: 1 });
    const lookup = invoiceLookups().at(-1)!;
    expect(decodeURIComponent(lookup.path)).toBe("/v1/invoices/in_disc_friend?expand[0]=discounts");

    await applyReceived();
    const c = await customerByStripeId(cus);
    expect(c.state.billing.invoices.in_disc_friend).toMatchObject({ reason: "first", amountPaid: 49900, promotionCode: "promo_1Friend" });
    expect(attributionCandidates(c.state)).toContainEqual(expect.objectContaining({ key: "promo_1Friend", source: "promotion_code" }));

    const lookups = invoiceLookups().length;
    expect(await resolveStripeDiscounts(deps())).toEqual({ resolved: 0 });
    expect(invoiceLookups().length).toBe(lookups);
  });

  it("the hourly cron's entry resolves with the deployment's own bindings", async () => {
    const cus = await discountedFirstInvoice("hourly", "di_hourly");
    fakes.stripe.lists.addInvoice({ id: "in_disc_hourly", object: "invoice", customer: cus, discounts: ["di_hourly"] });
    fakes.stripe.discounts.add({ id: "di_hourly", promotion_code: "promo_1Hourly", coupon: "tenure-referral-friend" });
    await resolveStripeDiscountsHourly(env, Date.now());
    const row = await env.DB.prepare(`SELECT normalized FROM inbox_events WHERE id = 'stripe:evt_disc_inv_hourly:discounts'`).first<{ normalized: string }>();
    expect(JSON.parse(row!.normalized)).toEqual([expect.objectContaining({ type: "invoice.paid", invoiceId: "in_disc_hourly", promotionCode: "promo_1Hourly" })]);
  });

  it("an invoice Stripe does not know (404) is recorded with the reason and not asked again", async () => {
    await discountedFirstInvoice("gone", "di_gone");
    expect(await resolveStripeDiscounts(deps())).toEqual({ resolved: 1 });
    expect(invoiceLookups().at(-1)!.status).toBe(404);
    const row = await env.DB.prepare(`SELECT status, reason FROM inbox_events WHERE id = 'stripe:evt_disc_inv_gone:discounts'`).first();
    expect(row).toEqual({ status: "ignored", reason: "Stripe has no invoice in_disc_gone (404)" });
    const n = invoiceLookups().length;
    expect(await resolveStripeDiscounts(deps())).toEqual({ resolved: 0 });
    expect(invoiceLookups().length).toBe(n);
  });

  it("a 429 stops the run with Stripe's Retry-After; the next run picks the invoice up", async () => {
    const cus = await discountedFirstInvoice("busy", "di_busy");
    fakes.stripe.lists.addInvoice({ id: "in_disc_busy", object: "invoice", customer: cus, discounts: ["di_busy"] });
    fakes.stripe.discounts.add({ id: "di_busy", promotion_code: "promo_1Busy", coupon: "tenure-referral-friend" });
    const limited = createFakes(cfg, { stripe: { requestsPerSecond: 0 } });
    const busyFetch: typeof fetch = async (input, init) => limited.stripe.handle(new Request(input, init));
    expect(await resolveStripeDiscounts(deps({ fetch: busyFetch }))).toEqual({ resolved: 0, stopped: { status: 429, retryAfterMs: 1000 } });
    expect(await env.DB.prepare(`SELECT id FROM inbox_events WHERE id = 'stripe:evt_disc_inv_busy:discounts'`).first()).toBeNull();

    expect(await resolveStripeDiscounts(deps())).toEqual({ resolved: 1 });
    await applyReceived();
    expect((await customerByStripeId(cus)).state.billing.invoices.in_disc_busy.promotionCode).toBe("promo_1Busy");
  });
});
