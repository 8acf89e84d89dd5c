import { describe, expect, it } from "vitest";
import { FakeHubSpot } from "../fakes/hubspot";
import { FakeStripe } from "../fakes/stripe";

/** The fakes' list endpoints behave like the vendors' where a paginating client can tell. */

const KEY = "sk_test_lists_0123456789";
const TOKEN = "pat-lists-0123456789";

async function stripeGet(fake: FakeStripe, query: string) {
  const res = await fake.handle(new Request(`https://stripe.fake${query}`, { headers: { authorization: `Bearer ${KEY}` } }));
  return { status: res.status, body: (await res.json()) as any };
}

async function hubspotGet(fake: FakeHubSpot, query: string) {
  const res = await fake.handle(new Request(`https://hubspot.fake${query}`, { headers: { authorization: `Bearer ${TOKEN}` } }));
  return { status: res.status, body: (await res.json()) as any };
}

describe("FakeStripe lists", () => {
  const stripe = new FakeStripe({ secretKey: KEY, requestsPerSecond: 1000 });
  for (let i = 0; i < 25; i++) stripe.lists.addCustomer({ id: `cus_l${String(i).padStart(2, "0")}`, created: 1_000 + i });
  stripe.lists.addSubscription({ id: "sub_live", customer: "cus_l00", status: "active", created: 5 });
  stripe.lists.addSubscription({ id: "sub_gone", customer: "cus_l01", status: "canceled", created: 6 });
  stripe.lists.addEvent("invoice.paid", { id: "in_1", object: "invoice" }, { id: "evt_a", created: 100 });
  stripe.lists.addEvent("payout.paid", { id: "po_1", object: "payout" }, { id: "evt_b", created: 200 });
  stripe.lists.addEvent("customer.updated", { id: "cus_l00", object: "customer" }, { id: "evt_c", created: 300 });

  it("pages newest first with starting_after and has_more", async () => {
    const first = await stripeGet(stripe, "/v1/customers?limit=10");
    expect(first.body).toMatchObject({ object: "list", url: "/v1/customers", has_more: true });
    expect(first.body.data[0].id).toBe("cus_l24");
    const ids: string[] = first.body.data.map((c: any) => c.id);
    let page = first;
    while (page.body.has_more) {
      page = await stripeGet(stripe, `/v1/customers?limit=10&starting_after=${ids[ids.length - 1]}`);
      ids.push(...page.body.data.map((c: any) => c.id));
    }
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });

  it("refuses what Stripe refuses: limit over 100, unknown parameters, an unknown cursor", async () => {
    expect((await stripeGet(stripe, "/v1/customers?limit=101")).status).toBe(400);
    expect((await stripeGet(stripe, "/v1/customers?colour=red")).body.error).toMatchObject({ code: "parameter_unknown", param: "colour" });
    expect((await stripeGet(stripe, "/v1/customers?starting_after=cus_nope")).body.error).toMatchObject({ code: "resource_missing", param: "starting_after" });
  });

  it("leaves canceled subscriptions out unless status=all", async () => {
    expect((await stripeGet(stripe, "/v1/subscriptions")).body.data.map((s: any) => s.id)).toEqual(["sub_live"]);
    expect((await stripeGet(stripe, "/v1/subscriptions?status=all")).body.data.map((s: any) => s.id)).toEqual(["sub_gone", "sub_live"]);
  });

  it("filters events by types[] and created ranges", async () => {
    const q = "/v1/events?types[0]=invoice.paid&types[1]=customer.updated&created[gte]=150";
    expect((await stripeGet(stripe, q)).body.data.map((e: any) => e.id)).toEqual(["evt_c"]);
    expect((await stripeGet(stripe, "/v1/events?type=invoice.*")).body.data.map((e: any) => e.id)).toEqual(["evt_a"]);
    expect((await stripeGet(stripe, "/v1/events?type=a&types[0]=b")).status).toBe(400);
  });
});

describe("FakeHubSpot lists", () => {
  const hub = new FakeHubSpot({ token: TOKEN, burstMax: 1000 });
  const companies = Array.from({ length: 12 }, (_, i) => hub.addCompany({ name: `Co ${i}`, domain: `co${i}.example` }));
  hub.lists.addContact({ email: "a@co0.example" }, [companies[0]!]);
  hub.lists.addContact({ email: "b@elsewhere.example" });

  it("pages by id with paging.next.after until there is no next page", async () => {
    const first = await hubspotGet(hub, "/crm/v3/objects/companies?limit=5&properties=name");
    expect(first.body.results).toHaveLength(5);
    expect(first.body.paging.next.after).toBe(companies[5]);
    const second = await hubspotGet(hub, `/crm/v3/objects/companies?limit=5&properties=name&after=${first.body.paging.next.after}`);
    const third = await hubspotGet(hub, `/crm/v3/objects/companies?limit=5&properties=name&after=${second.body.paging.next.after}`);
    expect(third.body.results.map((r: any) => r.id)).toEqual(companies.slice(10));
    expect(third.body.paging).toBeUndefined();
  });

  it("returns only the requested properties: null when unset, left out when the portal does not define them", async () => {
    const { body } = await hubspotGet(hub, "/crm/v3/objects/companies?limit=1&properties=name,industry,no_such_property");
    expect(body.results[0].properties).toMatchObject({ name: "Co 0", industry: null, hs_object_id: companies[0] });
    expect(body.results[0].properties).not.toHaveProperty("no_such_property");
    expect(body.results[0].properties).not.toHaveProperty("domain");
  });

  it("adds company associations when asked, and refuses a limit over 100", async () => {
    const { body } = await hubspotGet(hub, "/crm/v3/objects/contacts?associations=companies");
    expect(body.results[0].associations).toEqual({ companies: { results: [{ id: companies[0], type: "contact_to_company" }] } });
    expect(body.results[1].associations).toBeUndefined();
    expect((await hubspotGet(hub, "/crm/v3/objects/contacts?limit=500")).status).toBe(400);
  });
});
