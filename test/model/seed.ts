import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { fixture } from "../support/fixtures";
import { ADMIN, drain } from "../support/drain";
import { signStripe } from "../support/sign/stripe";

export const BASE = "https://tenure.example.com";
const DAY_S = 86_400;

/** A Stripe event for one customer, dated `daysAgo` (the vendor's clock), signed now. */
export async function stripe(name: string, customer: string, id: string, daysAgo: number, patch: (o: any) => void = () => {}) {
  const ev = JSON.parse(fixture("stripe", name));
  ev.id = id;
  ev.created = Math.floor(Date.now() / 1000) - daysAgo * DAY_S;
  ev.data.object.customer = customer;
  if ("customer_email" in ev.data.object) ev.data.object.customer_email = `ops@${customer}.example`;
  ev.data.object.id = `${ev.data.object.id}_${id}`;
  patch(ev.data.object);
  const body = JSON.stringify(ev);
  const res = await SELF.fetch(`${BASE}/webhooks/stripe`, { method: "POST", body, headers: await signStripe(body) });
  expect(res.status).toBe(200);
}

/** Two paying customers in good standing and one whose payments failed and who churned. */
export async function seedCustomers() {
  await stripe("invoice.paid.first", "cus_good", "evt_good_1", 120);
  await stripe("invoice.paid.first", "cus_fine", "evt_fine_1", 100);
  await stripe("invoice.paid.first", "cus_bad", "evt_bad_1", 120);
  await stripe("invoice.payment_failed", "cus_bad", "evt_bad_2", 60);
  await stripe("customer.subscription.deleted", "cus_bad", "evt_bad_4", 20, (o) => (o.ended_at = Math.floor(Date.now() / 1000) - 20 * DAY_S));
  await drain();
}

export const api = (method: string, path: string, body?: unknown) =>
  SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { ...ADMIN, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
