import { env, SELF } from "cloudflare:test";
import { expect } from "vitest";
import type { FakeStripe } from "../fakes/stripe";
import { fixture } from "../support/fixtures";
import { signStripe } from "../support/sign/stripe";
import { ADMIN, drain } from "../support/drain";

/** Real-shaped Stripe deliveries for loyalty scenarios: fixtures re-dated and pointed at the given ids. */

export const DAY = 86_400_000;
const BASE = "https://tenure.example.com";

function event(name: string, id: string, patch: (obj: any) => void, createdMs = Date.now() - 60_000): string {
  const ev = JSON.parse(fixture("stripe", name));
  ev.id = id;
  ev.created = Math.floor(createdMs / 1000);
  patch(ev.data.object);
  return JSON.stringify(ev);
}

export const stripe = {
  customer: (evtId: string, c: { id: string; email: string; name: string; metadata?: Record<string, string> }) =>
    event("customer.created", evtId, (o) => Object.assign(o, { id: c.id, email: c.email, name: c.name, metadata: c.metadata ?? {}, discount: null })),
  subscription: (evtId: string, s: { id: string; customer: string; status?: string; periodEnd?: number; startedAt?: number }, createdMs?: number) =>
    event(
      "customer.subscription.created",
      evtId,
      (o) => {
        Object.assign(o, { id: s.id, customer: s.customer, status: s.status ?? "active", trial_start: null, trial_end: null });
        if (s.startedAt) o.start_date = o.created = Math.floor(s.startedAt / 1000);
        if (s.periodEnd) o.items.data[0].current_period_end = Math.floor(s.periodEnd / 1000);
      },
      createdMs,
    ),
  checkout: (evtId: string, c: { id: string; customer: string; email: string; subscription: string; promotionCode?: string; clientReferenceId?: string }) =>
    event("checkout.session.completed", evtId, (o) =>
      Object.assign(o, {
        id: c.id,
        customer: c.customer,
        customer_details: { ...o.customer_details, email: c.email, name: null },
        subscription: c.subscription,
        client_reference_id: c.clientReferenceId ?? null,
        metadata: {},
        discounts: c.promotionCode ? [{ coupon: null, promotion_code: c.promotionCode }] : [],
      }),
    ),
  invoicePaid: (evtId: string, i: { id: string; customer: string; email: string; subscription: string; amount: number; charge: string; reason?: string; promotionCode?: string }, createdMs?: number) =>
    event(
      "invoice.paid.first",
      evtId,
      (o) =>
        Object.assign(o, {
          id: i.id,
          customer: i.customer,
          customer_email: i.email,
          customer_name: null,
          amount_paid: i.amount,
          amount_due: i.amount,
          billing_reason: i.reason ?? "subscription_create",
          charge: i.charge,
          payment_intent: `pi_${i.charge}`,
          parent: { ...o.parent, subscription_details: { metadata: {}, subscription: i.subscription } },
          discounts: i.promotionCode ? [{ promotion_code: i.promotionCode }] : [],
        }),
      createdMs,
    ),
  paymentFailed: (evtId: string, i: { id: string; customer: string; subscription: string; amount: number; attempt: number }) =>
    event("invoice.payment_failed", evtId, (o) =>
      Object.assign(o, {
        id: i.id,
        customer: i.customer,
        amount_due: i.amount,
        attempt_count: i.attempt,
        parent: { ...(o.parent ?? {}), subscription_details: { metadata: {}, subscription: i.subscription } },
        subscription: null,
      }),
    ),
  dispute: (evtId: string, d: { id: string; charge: string; amount: number }) =>
    event("charge.dispute.created", evtId, (o) => Object.assign(o, { id: d.id, charge: d.charge, payment_intent: `pi_${d.charge}`, amount: d.amount })),
  refund: (evtId: string, r: { charge: string; customer: string; invoice?: string; amount: number }) =>
    event("charge.refunded", evtId, (o) => Object.assign(o, { id: r.charge, customer: r.customer, invoice: r.invoice ?? null, payment_intent: `pi_${r.charge}`, amount_refunded: r.amount })),
};

export async function postStripe(body: string): Promise<Response> {
  return SELF.fetch(`${BASE}/webhooks/stripe`, { method: "POST", body, headers: await signStripe(body) });
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await SELF.fetch(`${BASE}/api${path}`, {
    method,
    headers: { ...ADMIN, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export async function customerIdOf(stripeCustomerId: string): Promise<string> {
  const r = await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'stripe' AND value = ?`).bind(stripeCustomerId).first<{ customer_id: string }>();
  if (!r) throw new Error(`no customer for ${stripeCustomerId}`);
  return r.customer_id;
}

export async function referralOf(referredId: string) {
  return env.DB.prepare(`SELECT * FROM referrals WHERE referred_id = ?`).bind(referredId).first<Record<string, any>>();
}

export async function ledgerOf(customerId: string): Promise<{ id: string; entry: string; points: number; amount: number | null; reason: string | null }[]> {
  const { results } = await env.DB.prepare(`SELECT id, entry, points, amount, reason FROM loyalty_ledger WHERE customer_id = ? ORDER BY at, id`).bind(customerId).all<any>();
  return results;
}

/** Customers and referrals driven through signed Stripe webhooks, against a FakeStripe that holds their Stripe customers. */
export function scenario(fake: FakeStripe) {
  /** A paying customer: Stripe customer, active subscription, first invoice paid. */
  async function payingCustomer(tag: string, domain: string, opts: { amount?: number; metadata?: Record<string, string> } = {}) {
    const amount = opts.amount ?? 49_900;
    const cus = fake.state.addCustomer({ email: `ops@${domain}`, name: tag }).id;
    for (const body of [
      stripe.customer(`evt_${tag}_cus`, { id: cus, email: `ops@${domain}`, name: tag, metadata: opts.metadata }),
      stripe.subscription(`evt_${tag}_sub`, { id: `sub_${tag}`, customer: cus }),
      stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email: `ops@${domain}`, subscription: `sub_${tag}`, amount, charge: `ch_${tag}` }),
    ]) expect((await postStripe(body)).status).toBe(200);
    await drain();
    return { cus, id: await customerIdOf(cus) };
  }

  /** A friend checking out with a referral: their customer, the checkout, and (optionally) the first invoice. */
  async function friend(tag: string, ref: { promotionCode?: string; clientReferenceId?: string }, opts: { pay?: boolean; deliveries?: number; metadata?: Record<string, string> } = {}) {
    const cus = fake.state.addCustomer({ email: `owner@${tag}.example`, name: tag }).id;
    const email = `owner@${tag}.example`;
    await postStripe(stripe.customer(`evt_${tag}_cus`, { id: cus, email, name: tag, metadata: opts.metadata }));
    await postStripe(stripe.checkout(`evt_${tag}_cs`, { id: `cs_${tag}`, customer: cus, email, subscription: `sub_${tag}`, ...ref }));
    const invoice = stripe.invoicePaid(`evt_${tag}_inv`, { id: `in_${tag}`, customer: cus, email, subscription: `sub_${tag}`, amount: 49_900, charge: `ch_${tag}`, promotionCode: ref.promotionCode });
    if (opts.pay !== false) for (let i = 0; i < (opts.deliveries ?? 1); i++) expect((await postStripe(invoice)).status).toBe(200);
    await drain();
    return { cus, id: await customerIdOf(cus), invoice };
  }

  async function codeFor(customerId: string) {
    const created = await api("POST", "/referrals/codes", { customerId });
    expect(created.status).toBe(201);
    await drain();
    const again = await api("POST", "/referrals/codes", { customerId });
    expect(again.status).toBe(200);
    return again.body as { code: string; promotionCodeId: string; actionId: string };
  }
  return { payingCustomer, friend, codeFor };
}
