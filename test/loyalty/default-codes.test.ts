import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupHubspotProperties } from "../../connectors/hubspot";
import { tenureConfig } from "../../src/config";
import type { NormalizedEvent } from "../../src/core/events";
import { referralCodeFor } from "../../src/core/rewards";
import { loadConfig } from "../../src/env";
import { loyaltyDailyPage } from "../../src/jobs/loyalty-daily";
import { CODES_PER_BATCH } from "../../src/loyalty";
import { processEvents } from "../../src/pipeline";
import { fillReferralCodesPage } from "../../src/rewards/default-codes";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { api, customerIdOf, postStripe, scenario, stripe } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
const { payingCustomer } = scenario(fakes.stripe);

const codeRow = (customerId: string) =>
  env.DB.prepare(`SELECT code, action_id FROM referral_codes WHERE referrer_id = ?`).bind(customerId).first<{ code: string; action_id: string }>();
const promosFor = (code: string) => [...fakes.stripe.state.promotionCodes.values()].filter((p) => p.code === code);
/** A customer from before the program made codes: their code and its Stripe action are gone. */
const forgetCode = async (customerId: string) => {
  await env.DB.batch([
    env.DB.prepare(`DELETE FROM referral_codes WHERE referrer_id = ?`).bind(customerId),
    env.DB.prepare(`DELETE FROM outbox WHERE id = ?`).bind(`referral.code:${customerId}`),
  ]);
};

beforeAll(async () => {
  await setupHubspotProperties({ cfg, fetch, now: Date.now });
});

let seq = 0;
/**
 * A first paid invoice, written to the inbox as the webhook would and applied with `rules` (the consumer would use
 * TENURE_CONFIG's); not sent to the local queue, so no other consumer applies it first. Then delivers the outbox.
 */
async function payWith(rules: ReturnType<typeof tenureConfig>, customers: { cus: string; hubspot?: string }[]) {
  const now = Date.now();
  const events: NormalizedEvent[] = customers.map(({ cus, hubspot }) => ({
    id: `stripe:evt_codes_${cus}_${++seq}`,
    source: "stripe",
    type: "invoice.paid",
    occurredAt: now - 60_000,
    subject: { stripeCustomerId: cus, email: `ops@${cus}.example`, domain: `${cus}.example`, ...(hubspot ? { hubspotCompanyId: hubspot } : {}) },
    invoiceId: `in_${cus}`,
    reason: "first",
    amountPaid: 4900,
    currency: "usd",
  }));
  const insert = env.DB.prepare(`INSERT INTO inbox_events (id, source, vendor_type, status, occurred_at, received_at, normalized) VALUES (?, 'stripe', 'invoice.paid', 'received', ?, ?, ?)`);
  await env.DB.batch(events.map((e) => insert.bind(e.id, e.occurredAt, now, JSON.stringify([e]))));
  const r = await processEvents({ db: env.DB, cfg: rules, now }, events.map((e) => e.id));
  expect(r.retry).toEqual([]);
  await drain();
  return Promise.all(customers.map((c) => customerIdOf(c.cus)));
}

describe("with referral.codeOnPaying, the step that makes a customer paying makes their code", () => {
  const onPaying = tenureConfig(JSON.stringify({ rewards: { referral: { codeOnPaying: true } } }));
  const company = fakes.hubspot.addCompany({ name: "Kappa", domain: "cus_kappa.example" });

  it("commits the code (derived from the id) with the paying step, with its Stripe promotion code and HubSpot properties; a redone step changes nothing", async () => {
    const [K] = await payWith(onPaying, [{ cus: "cus_kappa", hubspot: company }]);
    const code = referralCodeFor(K!, rules.rewards.referral.codePrefix);
    expect(await codeRow(K!)).toEqual({ code, action_id: `referral.code:${K}` });
    expect(promosFor(code)).toHaveLength(1);
    expect(fakes.hubspot.companies.get(company)!.properties).toMatchObject({ tenure_referral_code: code, tenure_loyalty_points: "0" });
    await payWith(onPaying, [{ cus: "cus_kappa", hubspot: company }]);
    expect(promosFor(code)).toHaveLength(1);
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM referral_codes WHERE referrer_id = ?`).bind(K).first<{ n: number }>())!.n).toBe(1);
    expect(await api("POST", "/referrals/codes", { customerId: K })).toMatchObject({ status: 200, body: { code } });
  });

  it("one consumer batch makes at most CODES_PER_BATCH codes; the daily walk makes the others", async () => {
    const batch = Array.from({ length: CODES_PER_BATCH + 3 }, (_, i) => ({ cus: `cus_batch${i}` }));
    const ids = await payWith(onPaying, batch);
    const withCodes = (await Promise.all(ids.map(codeRow))).filter((r) => r !== null);
    expect(withCodes).toHaveLength(CODES_PER_BATCH);
    expect((await fillReferralCodesPage(env.DB, onPaying, "", Date.now(), 1000)).created).toHaveLength(3);
  });

  it("without it (the default), the step makes none and the walk does", async () => {
    const [id] = await payWith(rules, [{ cus: "cus_default" }]);
    expect(await codeRow(id!)).toBeNull();
    expect((await fillReferralCodesPage(env.DB, rules, "", Date.now(), 1000)).created).toEqual([id]);
  });
});

describe("the daily walk fills in codes for customers who have none", () => {
  let paying: string[];
  let lead: string;

  beforeAll(async () => {
    paying = [];
    for (const tag of ["walka", "walkb", "walkc"]) paying.push((await payingCustomer(tag, `${tag}.example`)).id);
    const cus = fakes.stripe.state.addCustomer({ email: "ops@lead.example", name: "Lead" }).id;
    await postStripe(stripe.customer("evt_lead_cus", { id: cus, email: "ops@lead.example", name: "Lead" }));
    await drain();
    lead = await customerIdOf(cus);
    for (const id of paying) await forgetCode(id);
  });

  it("walks every customer in bounded pages, creating the same codes, once", async () => {
    const total = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM customers`).first<{ n: number }>())!.n;
    let after = "";
    let pages = 0;
    const created: string[] = [];
    do {
      const page = await fillReferralCodesPage(env.DB, rules, after, Date.now(), 2);
      created.push(...page.created);
      pages++;
      if (page.next === null) break;
      after = page.next;
    } while (pages < 50);
    expect(pages).toBe(Math.floor(total / 2) + 1);
    expect(created.sort()).toEqual([...paying].sort());
    for (const id of paying) expect((await codeRow(id))?.code).toBe(referralCodeFor(id, "FRIEND-"));
    expect(await codeRow(lead)).toBeNull();
    await drain();
    for (const id of paying) expect(promosFor(referralCodeFor(id, "FRIEND-"))).toHaveLength(1);
    expect((await fillReferralCodesPage(env.DB, rules, "", Date.now(), 1000)).created).toEqual([]);
  });

  it("with eligible 'all', a customer who does not pay gets one too; a disabled program makes none", async () => {
    const off = tenureConfig(JSON.stringify({ rewards: { referral: { enabled: false, eligible: "all" } } }));
    expect(await fillReferralCodesPage(env.DB, off, "", Date.now(), 1000)).toEqual({ created: [], synced: [], actionIds: [], next: null });
    const all = tenureConfig(JSON.stringify({ rewards: { referral: { eligible: "all" } } }));
    expect((await fillReferralCodesPage(env.DB, all, "", Date.now(), 1000)).created).toEqual([lead]);
  });

  it("writes a code HubSpot does not show yet (made before codes were synced) to the company, once", async () => {
    const kappa = [...fakes.hubspot.companies.values()].find((c) => c.properties.name === "Kappa")!;
    const owner = (await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value = ?`).bind(kappa.id).first<{ customer_id: string }>())!.customer_id;
    await env.DB.prepare(`DELETE FROM hubspot_synced WHERE company_id = ?`).bind(kappa.id).run();
    delete kappa.properties.tenure_referral_code;
    const page = await fillReferralCodesPage(env.DB, rules, "", Date.now(), 1000);
    expect(page).toMatchObject({ created: [], synced: [owner] });
    await drain();
    expect(kappa.properties.tenure_referral_code).toBe(referralCodeFor(owner, "FRIEND-"));
    expect((await fillReferralCodesPage(env.DB, rules, "", Date.now(), 1000)).synced).toEqual([]);
  });

  it("runs as the last phase of the loyalty daily chain", async () => {
    await forgetCode(paying[0]!);
    const asOf = Date.now();
    let job: Parameters<typeof loyaltyDailyPage>[2] | null = { job: "loyalty-daily", asOf, phase: "occasions", after: "" };
    const phases: string[] = [];
    let codes = 0;
    for (let i = 0; job && i < 50; i++) {
      phases.push(job.phase);
      const r = await loyaltyDailyPage(env, rules, job);
      codes += r.codes;
      job = r.next;
    }
    expect(job).toBeNull();
    expect(phases.at(-1)).toBe("codes");
    expect(codes).toBe(1);
    expect((await codeRow(paying[0]!))?.code).toBe(referralCodeFor(paying[0]!, "FRIEND-"));
  });
});
