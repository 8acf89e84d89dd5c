// Real-shaped, really signed Stripe deliveries for the benchmark (fixtures re-keyed so each is new).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Stripe from "stripe";
import { root } from "./lib.mjs";

const fixture = (name) => JSON.parse(readFileSync(join(root, "test", "fixtures", "stripe", `${name}.json`), "utf8"));
const INVOICE = fixture("invoice.paid.first");
const CUSTOMER = fixture("customer.created");

/** Stripe's own test helper: `t=<ts>,v1=<HMAC-SHA256(secret, "t.payload")>`. */
export function signStripe(payload, secret, nowMs = Date.now()) {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(nowMs / 1000) });
}

/** An invoice.paid event with its own event and invoice id, for customer `k`. */
export function invoicePaid(eventId, k) {
  const ev = structuredClone(INVOICE);
  ev.id = eventId;
  ev.created = Math.floor(Date.now() / 1000) - 60;
  const inv = ev.data.object;
  inv.id = `in_${eventId}`;
  inv.customer = `cus_bench_${k}`;
  inv.customer_email = `ops@bench-${k}.example`;
  inv.customer_name = `Bench Co ${k}`;
  return JSON.stringify(ev);
}

/** customer.created linking Stripe customer `k` to a HubSpot company. */
export function customerCreated(eventId, k, hubspotCompanyId) {
  const ev = structuredClone(CUSTOMER);
  ev.id = eventId;
  ev.created = Math.floor(Date.now() / 1000) - 60;
  const cu = ev.data.object;
  cu.id = `cus_bench_${k}`;
  cu.email = `ops@bench-${k}.example`;
  cu.name = `Bench Co ${k}`;
  cu.metadata = { hubspot_company_id: hubspotCompanyId, account_id: `acct_bench_${k}` };
  return JSON.stringify(ev);
}

export const invoiceBytes = () => Buffer.byteLength(invoicePaid("evt_sizing_000000", 0));
