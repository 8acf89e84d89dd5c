import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { api, customerOf, hubspot, hubspotCompany, segment, segmentGroup, segmentTrack, stripe, stripeCustomer, stripeInvoice } from "./sources";

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

async function stateOf(id: string) {
  return JSON.parse((await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(id).first<{ state: string }>())!.state);
}
const live = async (id: string) => (await env.DB.prepare(`SELECT 1 AS x FROM customers WHERE id = ?`).bind(id).first()) !== null;

describe("one account key space", () => {
  it("Stripe metadata.account_id and a Segment group's groupId end on one customer, in either order", async () => {
    await stripe(stripeCustomer("cus_space_1", "buyer@gmail.com", { account_id: "acct_space_1" }));
    await drain();
    await segment(segmentGroup("acct_space_1", "u_space_1", "Space One"));
    await segment(segmentTrack("acct_space_1", "u_space_1", "Report Exported"));
    await drain();
    const one = await customerOf("stripe", "cus_space_1");
    expect(await customerOf("account", "acct_space_1")).toBe(one);
    expect(await customerOf("segment_group", "acct_space_1")).toBe(one);
    expect(Object.keys((await stateOf(one!)).usage.events)).toContain("Report Exported");

    await segment(segmentGroup("acct_space_2", "u_space_2", "Space Two"));
    await drain();
    await stripe(stripeCustomer("cus_space_2", "payer@gmail.com", { account_id: "acct_space_2" }));
    await drain();
    const two = await customerOf("segment_group", "acct_space_2");
    expect(await customerOf("stripe", "cus_space_2")).toBe(two);
    expect(two).not.toBe(one);
  });
});

describe("late explicit ids merge two customers automatically", () => {
  it("Stripe events before customer.created, and hubspot_company_id added to the metadata later: one customer", async () => {
    await hubspot(hubspotCompany(71001, { name: "Late Co", domain: "late.example" }));
    await drain();
    const company = (await customerOf("hubspot", "71001"))!;
    // Stripe does not order deliveries: the first payment comes before customer.created, from a free-mail address.
    await stripe(stripeInvoice("cus_late_1", "founder@gmail.com", "in_late_1"));
    await drain();
    await stripe(stripeCustomer("cus_late_1", "founder@gmail.com", {}));
    await drain();
    const billing = (await customerOf("stripe", "cus_late_1"))!;
    expect(billing).not.toBe(company);

    // The team follows the README and sets the HubSpot company id on the Stripe customer.
    await stripe(stripeCustomer("cus_late_1", "founder@gmail.com", { hubspot_company_id: "71001" }, "customer.updated"));
    await drain();
    expect(await customerOf("stripe", "cus_late_1")).toBe(company);
    expect(await customerOf("hubspot", "71001")).toBe(company);
    expect(await live(billing)).toBe(false);
    const pointer = await env.DB.prepare(`SELECT survivor_id, via, reason FROM customer_merges WHERE loser_id = ?`).bind(billing).first<{ survivor_id: string; via: string; reason: string }>();
    expect(pointer).toMatchObject({ survivor_id: company, via: "auto" });
    expect(pointer!.reason).toContain("stripe:cus_late_1");
    const state = await stateOf(company);
    expect(Object.keys(state.billing.invoices)).toEqual(["in_late_1"]);
    expect(state.crm.properties.name.value).toBe("Late Co");
    const res = await api(`/customers/${billing}`);
    expect(res.status).toBe(308);

    // Redelivered, every event is a duplicate: nothing is applied twice.
    await stripe(stripeInvoice("cus_late_1", "founder@gmail.com", "in_late_1"));
    await drain();
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:evt_in_late_1%'`).first<{ n: number }>())!;
    expect(n).toBe(1);
  });

  it("a free-mail customer never matches by domain", async () => {
    await hubspot(hubspotCompany(71002, { name: "Mail Co", domain: "gmail.com" }));
    await stripe(stripeCustomer("cus_gmail_1", "one@gmail.com", {}));
    await stripe(stripeCustomer("cus_gmail_2", "two@gmail.com", {}));
    await drain();
    const ids = await Promise.all([customerOf("hubspot", "71002"), customerOf("stripe", "cus_gmail_1"), customerOf("stripe", "cus_gmail_2")]);
    expect(new Set(ids).size).toBe(3);
    expect(await customerOf("domain", "gmail.com")).toBeNull();
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM customer_merges WHERE survivor_id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(ids)).first<{ n: number }>())!.n).toBe(0);
  });
});

describe("conflicting explicit ids are refused, never merged", () => {
  it("a second Stripe customer claiming a HubSpot company that has one is left unmatched with the reason", async () => {
    await hubspot(hubspotCompany(72001, { name: "Claimed Co" }));
    await drain();
    const company = (await customerOf("hubspot", "72001"))!;
    await stripe(stripeCustomer("cus_claim_1", "a@gmail.com", { hubspot_company_id: "72001" }));
    await drain();
    expect(await customerOf("stripe", "cus_claim_1")).toBe(company);

    await stripe(stripeCustomer("cus_claim_2", "b@gmail.com", { hubspot_company_id: "72001" }));
    await drain();
    expect(await customerOf("stripe", "cus_claim_2")).toBeNull();
    const row = await env.DB.prepare(`SELECT status, reason FROM inbox_events WHERE id LIKE 'stripe:evt_cus_claim_2_%'`).first<{ status: string; reason: string }>();
    expect(row!.status).toBe("unmatched");
    expect(row!.reason).toMatch(/^refused: stripe cus_claim_2 is new, but .* already has stripe cus_claim_1/);
    const list = await (await api(`/identity-conflicts`)).json<{ conflicts: any[] }>();
    expect(list.conflicts).toContainEqual(expect.objectContaining({ kind: "stripe", value: "cus_claim_2", customerId: company, held: "cus_claim_1" }));
  });

  it("two customers holding different Stripe ids are not merged by an event that names both", async () => {
    await stripe(stripeCustomer("cus_pair_1", "p1@gmail.com", {}));
    await stripe(stripeCustomer("cus_pair_2", "p2@gmail.com", { account_id: "acct_pair" }));
    await drain();
    const [x, y] = [(await customerOf("stripe", "cus_pair_1"))!, (await customerOf("stripe", "cus_pair_2"))!];
    await stripe(stripeCustomer("cus_pair_1", "p1@gmail.com", { account_id: "acct_pair" }, "customer.updated"));
    await drain();
    expect(await live(x)).toBe(true);
    expect(await live(y)).toBe(true);
    expect(await customerOf("account", "acct_pair")).toBe(y);
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM identity_conflicts WHERE kind = 'stripe' AND value = 'cus_pair_1'`).first<{ n: number }>())!;
    expect(n).toBe(1);
  });
});
