import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { customerSurveys } from "../../src/dashboard/customer-surveys";
import { emptyState } from "../../src/core/state";
import { login, ORIGIN } from "../dashboard/seed";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "../webhooks/stripe-support";
import { editedFixture } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";
import { signTypeform } from "../support/sign/typeform";

let session: { cookie: string; csrf: string };
let customerId = "";

const page = async (path: string) => {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: session.cookie }, redirect: "manual" });
  expect(res.status, path).toBe(200);
  return res.text();
};

/** The visible text of an element's HTML, for sentences that JSX splits into several text nodes. */
const text = (html: string) => html.replace(/<[^>]+>/g, "").replace(/\s+/g, " ");

beforeAll(async () => {
  const now = Date.now();
  await postStripe(stripeEvent("customer.created", "evt_csatdash_cus", (o) => ((o.id = "cus_csatdash"), (o.email = "charlie.gravis@acme.example"), (o.metadata = {}))));
  const monthly = (usage_type: string) => ({ interval: "month", interval_count: 1, usage_type });
  // A licensed seat fee and a metered add-on with no usage invoiced yet: the add-on has no price Tenure can read.
  await postStripe(
    stripeEvent("customer.subscription.created", "evt_csatdash_sub", (o) => {
      o.id = "sub_csatdash";
      o.customer = "cus_csatdash";
      o.status = "active";
      const item = o.items.data[0];
      item.price = { ...item.price, currency: "usd", unit_amount: 10_000, recurring: monthly("licensed") };
      item.quantity = 1;
      delete item.plan;
      o.items.data.push({ ...item, id: "si_csatdash_api", price: { ...item.price, unit_amount: 2, recurring: monthly("metered") } });
    }),
  );
  await applyReceived();
  const recent = (j: any) => (j.event_data.created_at = j.event_data.updated_at = Math.floor(now / 1000) - 120);
  for (const name of ["survey_response.csat", "survey_response.ces", "survey_response.created"]) {
    const body = editedFixture("delighted", name, recent);
    const res = await SELF.fetch(`${ORIGIN}/webhooks/delighted`, { method: "POST", body, headers: await signDelighted("delighted_secret", body) });
    expect(res.status).toBe(200);
  }
  const tf = editedFixture("typeform", "form_response.csat_rating", (j) => {
    j.form_response.submitted_at = new Date(now - 60_000).toISOString();
    j.form_response.answers[1].email = "lee@acme.example";
  });
  expect((await SELF.fetch(`${ORIGIN}/webhooks/typeform`, { method: "POST", body: tf, headers: await signTypeform("typeform_secret", tf) })).status).toBe(200);
  await applyReceived();
  customerId = (await customerByStripeId("cus_csatdash")).id;
  session = await login();
});

describe("CSAT on the dashboard", () => {
  it("the customer page shows NPS, CSAT and CES side by side, each with its sample size", async () => {
    const html = await page(`/customers/${encodeURIComponent(customerId)}`);
    // Delighted CSAT 4 of 5 (satisfied), Typeform 2 of 5 (not): 50 %, n=2; CES 6 on 1–7 = 83.3; NPS 9 alone: 100.
    expect(html).toMatch(/<span data-survey="nps" data-n="1">NPS <strong>100<\/strong> <span class="muted">\(n=1\)<\/span><\/span>/);
    expect(html).toMatch(/<span data-survey="csat" data-n="2">CSAT <strong>50%<\/strong> <span class="muted">\(n=2\)<\/span><\/span>/);
    expect(html).toMatch(/<span data-survey="ces" data-n="1">CES <strong>83.3<\/strong>/);
  });

  it("the customer page says which subscription items Tenure could not price", async () => {
    const html = await page(`/customers/${encodeURIComponent(customerId)}`);
    const note = /<p class="notice" data-mrr-unknown-items="1">([\s\S]*?)<\/p>/.exec(html);
    expect(note).not.toBeNull();
    expect(text(note![1]!)).toContain("1 subscription item has no price Tenure can read");
    expect(text(note![1]!)).toContain("left out of MRR, not counted as 0");
    expect(text(html)).toContain("100 USD");
  });

  it("the overview shows a CSAT card beside NPS with its n, and CES with its own n", async () => {
    const html = await page(`/overview?days=7`);
    expect(html).toMatch(/data-metric="nps">[\s\S]*?data-metric="csat"><div>CSAT<\/div><div class="v">50%<\/div><p data-n="2">n=2 responses · too few to trust<\/p><p data-ces="83.3" data-n="1">CES 83.3 of 100 · n=1 responses<\/p>/);
    expect(html).toContain('<dd data-definition="csat">Customer satisfaction');
  });

  it("a customer without answers shows dashes with n=0, and no CES", () => {
    expect(customerSurveys(emptyState())).toEqual({ nps: { value: null, n: 0 }, csat: { value: null, n: 0 }, ces: { value: null, n: 0 }, tickets: { value: null, n: 0 } });
  });

  it("shows the desk's ticket ratings beside the surveys, as the support component reads them", () => {
    const s = emptyState();
    const ticket = (csat: number) => ({ desk: "zendesk" as const, statusLog: { "1:solved": { at: 1, status: "solved" as const } }, slaBreached: false, tags: [], csat: { value: csat, at: 1, by: "" } });
    s.support.tickets = { a: ticket(100), b: ticket(0), c: ticket(0) };
    expect(customerSurveys(s).tickets).toEqual({ value: 33, n: 3 });
  });
});
