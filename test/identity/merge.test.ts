import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { mergeStates } from "../../src/core/merge-state";
import { upgradeState } from "../../src/core/compact";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { api, customerOf, hubspot, hubspotCompany, merge, segment, segmentGroup, segmentTrack, stripe, stripeCustomer, stripeInvoice, zendesk, zendeskTicket } from "./sources";

const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

/** Every table that holds rows of a customer, and the column that says whose. */
const TABLES: [string, string][] = [
  ["identities", "customer_id"],
  ["contacts", "customer_id"],
  ["inbox_events", "customer_id"],
  ["outbox", "customer_id"],
  ["alert_states", "customer_id"],
  ["loyalty_ledger", "customer_id"],
  ["loyalty_members", "customer_id"],
  ["card_fingerprints", "customer_id"],
  ["referral_codes", "referrer_id"],
  ["referrals", "referrer_id"],
  ["member_claims", "customer_id"],
  ["score_history", "customer_id"],
  ["stage_transitions", "customer_id"],
  ["customers", "id"],
];

async function counts(id: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [t, col] of TABLES) out[t] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE ${col} = ?`).bind(id).first<{ n: number }>())!.n;
  return out;
}

async function stateOf(id: string) {
  const r = await env.DB.prepare(`SELECT state FROM customers WHERE id = ?`).bind(id).first<{ state: string }>();
  return upgradeState(JSON.parse(r!.state));
}

/** Loyalty rows as the program writes them: a ledger entry, enrollment, a card, a referral, a code, a claim. */
async function seedLoyalty(id: string, tag: string, shared: { fingerprint: string; url: string }) {
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, ref, rules_version, at) VALUES (?, ?, 'points.earned', 'first_payment', 100, ?, 'v1', ?)`).bind(`led_${tag}`, id, `in_${tag}`, now),
    env.DB.prepare(`INSERT INTO loyalty_members (customer_id, enrolled_at, via) VALUES (?, ?, 'earn')`).bind(id, now - (tag === "b" ? 5000 : 0)),
    env.DB.prepare(`INSERT INTO card_fingerprints (fingerprint, customer_id, seen_at) VALUES (?, ?, ?), (?, ?, ?)`).bind(shared.fingerprint, id, now, `fp_${tag}`, id, now),
    env.DB.prepare(`INSERT INTO member_claims (id, customer_id, kind, url, status, submitted_by, created_at) VALUES (?, ?, 'review', ?, 'pending', 'user_1', ?), (?, ?, 'review', ?, 'pending', 'user_1', ?)`).bind(
      `cl_${tag}_1`, id, shared.url, now, `cl_${tag}_2`, id, `https://reviews.example/${tag}`, now,
    ),
    env.DB.prepare(`INSERT INTO alert_states (action_id, customer_id, status, by_user, at) VALUES (?, ?, 'acknowledged', 'U1', ?)`).bind(`act_${tag}`, id, now),
  ]);
  if (tag === "b") {
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO referrals (referred_id, referrer_id, source, status, attributed_at, version, write_token, updated_at) VALUES ('cu_referred_by_b', ?, 'manual', 'attributed', ?, 1, 'w', ?)`,
      ).bind(id, now, now),
      env.DB.prepare(`INSERT INTO referral_codes (code, referrer_id, action_id, created_at) VALUES ('MERGEB', ?, 'act_code_b', ?)`).bind(id, now),
    ]);
  }
}

describe("merge: POST /api/customers/:id/merge", () => {
  let a = "";
  let b = "";

  it("moves every row of the loser to the survivor exactly once and leaves only a pointer", async () => {
    // A: a Stripe customer with a free-mail address (no domain to match by). B: a HubSpot company with its product usage and a ticket.
    await stripe(stripeCustomer("cus_merge_a", "founder@gmail.com", {}));
    await stripe(stripeInvoice("cus_merge_a", "founder@gmail.com", "in_merge_a1"));
    await hubspot(hubspotCompany(70001, { name: "Merge Bee", domain: "merge-b.example" }));
    await drain();
    await segment(segmentGroup("g_merge_b", "u_merge_1", "Merge Bee", "https://www.merge-b.example"));
    await zendesk(zendeskTicket("77001", "ops@merge-b.example"));
    await drain();
    await segment(segmentTrack("g_merge_b", "u_merge_1", "Report Exported"));
    await drain();
    a = (await customerOf("stripe", "cus_merge_a"))!;
    b = (await customerOf("hubspot", "70001"))!;
    expect(a).toBeTruthy();
    expect(b).toBeTruthy();
    expect(a).not.toBe(b);
    expect(await customerOf("domain", "gmail.com")).toBeNull();

    const shared = { fingerprint: "fp_shared", url: "https://reviews.example/same" };
    await seedLoyalty(a, "a", shared);
    await seedLoyalty(b, "b", shared);
    const [beforeA, beforeB, stateA, stateB] = [await counts(a), await counts(b), await stateOf(a), await stateOf(b)];
    const { results: outboxBefore } = await env.DB.prepare(`SELECT id FROM outbox WHERE customer_id IN (?, ?)`).bind(a, b).all<{ id: string }>();
    const outboxIdsBefore = outboxBefore.map((r) => r.id);
    expect(beforeB.inbox_events).toBeGreaterThanOrEqual(4);
    expect(beforeB.score_history).toBeGreaterThan(0);

    const res = await merge(a, b);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<any>();
    expect(body.id).toBe(a);
    expect(body.externalIds).toMatchObject({ stripe: "cus_merge_a", hubspot: "70001", segment_group: "g_merge_b" });
    expect(body.merge).toMatchObject({ from: b, into: a, alreadyMerged: false });

    const [afterA, afterB] = [await counts(a), await counts(b)];
    // Nothing is left on the loser.
    expect(afterB).toEqual(Object.fromEntries(TABLES.map(([t]) => [t, 0])));
    // Rows that are the loser's own move as they are: totals equal.
    for (const t of ["identities", "contacts", "inbox_events", "alert_states", "loyalty_ledger", "referral_codes", "referrals"]) {
      expect(afterA[t], t).toBe(beforeA[t]! + beforeB[t]!);
    }
    // Every action moves; the re-score may plan new ones (the survivor's values for the HubSpot company it gained).
    for (const id of outboxIdsBefore) expect(await env.DB.prepare(`SELECT customer_id FROM outbox WHERE id = ?`).bind(id).first(), id).toEqual({ customer_id: a });
    expect(afterA.outbox).toBeGreaterThanOrEqual(beforeA.outbox! + beforeB.outbox!);
    // Rows keyed by customer and value keep one copy of what both held: a card both used, one enrollment, one claim of one link.
    expect(afterA.card_fingerprints).toBe(3);
    expect(afterA.loyalty_members).toBe(1);
    expect(afterA.member_claims).toBe(3);
    expect(afterA.score_history).toBeGreaterThanOrEqual(beforeA.score_history!);
    expect(body.merge.moved).toMatchObject({ inbox_events: beforeB.inbox_events, identities: beforeB.identities, outbox: beforeB.outbox, loyalty_ledger: 1 });
    const enrolled = await env.DB.prepare(`SELECT enrolled_at FROM loyalty_members WHERE customer_id = ?`).bind(a).first<{ enrolled_at: number }>();
    expect(enrolled!.enrolled_at).toBeLessThan(Date.now() - 4000);
    const referral = await env.DB.prepare(`SELECT referrer_id FROM referrals WHERE referred_id = 'cu_referred_by_b'`).first<{ referrer_id: string }>();
    expect(referral!.referrer_id).toBe(a);

    // The survivor is re-scored from the join of both customers' facts.
    const merged = await stateOf(a);
    expect(merged).toEqual(mergeStates(stateA, stateB));
    expect(Object.keys(merged.billing.invoices)).toContain("in_merge_a1");
    expect(Object.keys(merged.support.tickets)).toContain("zendesk:77001");
    expect(Object.keys(merged.usage.events)).toContain("Report Exported");
    expect(body.health.components.usage).not.toBeNull();
    expect(body.health.components.support).not.toBeNull();

    const pointer = await env.DB.prepare(`SELECT survivor_id, via, moved FROM customer_merges WHERE loser_id = ?`).bind(b).first<{ survivor_id: string; via: string; moved: string }>();
    expect(pointer).toMatchObject({ survivor_id: a, via: "admin" });
    expect(JSON.parse(pointer!.moved)).toEqual(body.merge.moved);
  });

  it("answers the loser with a 308 to the survivor, and never lists it again", async () => {
    const res = await api(`/customers/${b}`);
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe(`/api/customers/${a}`);
    expect(await res.json()).toMatchObject({ id: b, mergedInto: a });
    const list = await (await api(`/customers?limit=500`)).json<{ customers: { id: string }[] }>();
    expect(list.customers.map((c) => c.id)).toContain(a);
    expect(list.customers.map((c) => c.id)).not.toContain(b);
    const byHubspot = await (await api(`/customers?hubspotCompanyId=70001`)).json<{ customers: { id: string }[] }>();
    expect(byHubspot.customers.map((c) => c.id)).toEqual([a]);
  });

  it("applies the loser's keys to the survivor afterwards", async () => {
    await segment(segmentTrack("g_merge_b", "u_merge_2", "Dashboard Viewed"));
    await zendesk(zendeskTicket("77002", "lee@merge-b.example"));
    await drain();
    const ticket = await env.DB.prepare(`SELECT customer_id, status FROM inbox_events WHERE id LIKE 'zendesk:ticket:77002:%'`).first();
    expect(ticket).toEqual({ customer_id: a, status: "processed" });
    expect(Object.keys((await stateOf(a)).usage.events)).toContain("Dashboard Viewed");
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE status <> 'processed' AND status <> 'ignored'`).first<{ n: number }>())!;
    expect(n).toBe(0);
    expect(Object.keys((await stateOf(a)).support.tickets)).toContain("zendesk:77002");
  });

  it("is idempotent when asked again, and refuses merges that cannot be", async () => {
    const before = await counts(a);
    const again = await merge(a, b);
    expect(again.status).toBe(200);
    expect((await again.json<any>()).merge).toMatchObject({ alreadyMerged: true, into: a, moved: null });
    expect(await counts(a)).toEqual(before);

    const backwards = await merge(b, a);
    expect(backwards.status).toBe(409);
    expect((await backwards.json<any>()).error).toMatchObject({ code: "merged_customer", mergedInto: a });
    const self = await merge(a, a);
    expect(self.status).toBe(409);
    expect((await self.json<any>()).error.code).toBe("same_customer");
    expect((await merge(a, "cu_nobody")).status).toBe(404);
    expect((await merge("cu_nobody", a)).status).toBe(404);
    const bad = await api(`/customers/${a}/merge`, { method: "POST", body: JSON.stringify({ from: 42 }) });
    expect(bad.status).toBe(400);
    expect(await counts(a)).toEqual(before);
  });

  it("refuses a merge that would turn a referral into a self-referral", async () => {
    await stripe(stripeCustomer("cus_merge_r1", "r1@gmail.com", {}));
    await stripe(stripeCustomer("cus_merge_r2", "r2@gmail.com", {}));
    await drain();
    const [r1, r2] = [(await customerOf("stripe", "cus_merge_r1"))!, (await customerOf("stripe", "cus_merge_r2"))!];
    await env.DB.prepare(`INSERT INTO referrals (referred_id, referrer_id, source, status, attributed_at, version, write_token, updated_at) VALUES (?, ?, 'manual', 'attributed', 1, 1, 'w', 1)`)
      .bind(r2, r1)
      .run();
    const res = await merge(r1, r2);
    expect(res.status).toBe(409);
    expect((await res.json<any>()).error).toMatchObject({ code: "referral_conflict" });
    expect(await counts(r2)).toMatchObject({ customers: 1 });
  });
});

describe("merging two customers that each hold a referral code", () => {
  const code = (code: string, referrer: string) =>
    env.DB.prepare(`INSERT INTO referral_codes (code, referrer_id, action_id, created_at) VALUES (?, ?, ?, 1)`).bind(code, referrer, `act_${code}`);
  async function pair(tag: string) {
    await stripe(stripeCustomer(`cus_codes_${tag}1`, `${tag}1@gmail.com`, {}));
    await stripe(stripeCustomer(`cus_codes_${tag}2`, `${tag}2@gmail.com`, {}));
    await drain();
    return [(await customerOf("stripe", `cus_codes_${tag}1`))!, (await customerOf("stripe", `cus_codes_${tag}2`))!] as const;
  }
  const codesOf = async (id: string) => (await env.DB.prepare(`SELECT code FROM referral_codes WHERE referrer_id = ?`).bind(id).all<{ code: string }>()).results.map((r) => r.code);

  it("keeps the survivor's code and drops the other when neither was used", async () => {
    const [s, l] = await pair("un");
    await env.DB.batch([code("UNUSEDS", s), code("UNUSEDL", l)]);
    expect((await merge(s, l)).status).toBe(200);
    expect(await codesOf(s)).toEqual(["UNUSEDS"]);
    expect(await codesOf(l)).toEqual([]);
  });

  it("keeps the code that was used (clicked) and drops the unused one, whichever customer held it", async () => {
    const [s, l] = await pair("cl");
    await env.DB.batch([code("CLICKEDS", s), code("CLICKEDL", l), env.DB.prepare(`INSERT INTO referral_clicks (code, day, clicks) VALUES ('CLICKEDL', '2026-12-01', 3)`)]);
    expect((await merge(s, l)).status).toBe(200);
    expect(await codesOf(s)).toEqual(["CLICKEDL"]);
  });

  it("refuses when both codes were used", async () => {
    const [s, l] = await pair("bo");
    await env.DB.batch([
      code("BOTHS", s),
      code("BOTHL", l),
      env.DB.prepare(`INSERT INTO referral_clicks (code, day, clicks) VALUES ('BOTHS', '2026-12-01', 1), ('BOTHL', '2026-12-01', 1)`),
    ]);
    const res = await merge(s, l);
    expect(res.status).toBe(409);
    expect((await res.json<any>()).error).toMatchObject({ code: "referral_conflict" });
    expect(await codesOf(s)).toEqual(["BOTHS"]);
    expect(await codesOf(l)).toEqual(["BOTHL"]);
  });
});

describe("unlink: DELETE /api/customers/:id/links/:kind/:value", () => {
  it("removes the key; later events with it no longer reach the customer", async () => {
    await hubspot(hubspotCompany(70002, { name: "Unlink Co", domain: "unlink.example" }));
    await drain();
    const c = (await customerOf("hubspot", "70002"))!;
    expect(await customerOf("domain", "unlink.example")).toBe(c);

    const res = await api(`/customers/${c}/links/domain/unlink.example`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ customerId: c, unlinked: [{ kind: "domain", value: "unlink.example" }] });
    expect(await customerOf("domain", "unlink.example")).toBeNull();

    // A ticket from that domain waits, unmatched, instead of landing on the customer; the company's own facts
    // (which carry the domain too) do not link it back.
    await zendesk(zendeskTicket("77101", "ops@unlink.example"));
    await hubspot(hubspotCompany(70002, { description: "still here" }));
    await drain();
    const ticket = await env.DB.prepare(`SELECT status, customer_id FROM inbox_events WHERE id LIKE 'zendesk:ticket:77101:%'`).first<{ status: string; customer_id: string | null }>();
    expect(ticket).toEqual({ status: "unmatched", customer_id: null });
    expect(await customerOf("domain", "unlink.example")).toBeNull();

    expect((await api(`/customers/${c}/links/domain/unlink.example`, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/customers/${c}/links/planet/x`, { method: "DELETE" })).status).toBe(400);
    expect((await api(`/customers/cu_nobody/links/domain/x.example`, { method: "DELETE" })).status).toBe(404);

    // Linking it by hand again is an explicit decision: it lifts the unlink and applies the waiting ticket.
    const link = await api(`/customers/${c}/links`, { method: "POST", body: JSON.stringify({ kind: "domain", value: "unlink.example" }) });
    expect(link.status).toBe(201);
    await drain();
    expect(Object.keys((await stateOf(c)).support.tickets)).toContain("zendesk:77101");
  });

  it("an unlinked Stripe id gets a customer of its own, never its old one", async () => {
    await stripe(stripeCustomer("cus_unlink_1", "x@gmail.com", {}));
    await drain();
    const c = (await customerOf("stripe", "cus_unlink_1"))!;
    expect((await api(`/customers/${c}/links/stripe/cus_unlink_1`, { method: "DELETE" })).status).toBe(200);
    await stripe(stripeInvoice("cus_unlink_1", "x@gmail.com", "in_unlink_1"));
    await drain();
    const fresh = await customerOf("stripe", "cus_unlink_1");
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(c);
    expect(Object.keys((await stateOf(c)).billing.invoices)).not.toContain("in_unlink_1");
    expect(Object.keys((await stateOf(fresh!)).billing.invoices)).toContain("in_unlink_1");
  });
});
