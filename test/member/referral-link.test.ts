import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenureConfig } from "../../src/config";
import { loadConfig } from "../../src/env";
import { deliverAll, deliverDeps } from "../../src/outbox/run";
import { releaseDueRewards } from "../../src/rewards/daily";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { DAY, postStripe, referralOf, scenario, stripe } from "../loyalty/support";
import { drain } from "../support/drain";
import { BASE, memberCall, mintToken, tokenFor } from "./support";

const cfg = loadConfig(env);
const rules = tenureConfig(cfg.TENURE_CONFIG);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
fakes.stripe.state.addCoupon({ id: rules.rewards.referral.coupon, percent_off: 20, duration: "once" });
const { payingCustomer, friend } = scenario(fakes.stripe);

const follow = (path: string) => SELF.fetch(`${BASE}${path}`, { redirect: "manual" });

let A: { cus: string; id: string };
let token: string;
let code: string;

beforeAll(async () => {
  A = await payingCustomer("linkalpha", "linkalpha.example");
  token = await tokenFor(A.id);
  code = (await memberCall("GET", "/me", token)).body.referral.code;
});

describe("GET /r/:code", () => {
  it("redirects to REFERRAL_LANDING_URL with the code as ref and client_reference_id, and counts each click", async () => {
    const res = await follow(`/r/${code.toLowerCase()}`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(`${to.origin}${to.pathname}`).toBe("https://app.example.com/signup");
    expect(Object.fromEntries(to.searchParams)).toEqual({ plan: "pro", ref: code, client_reference_id: code });
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    await follow(`/r/${code}`);
    await follow(`/r/${code}`);
    const rows = await env.DB.prepare(`SELECT day, clicks FROM referral_clicks WHERE code = ?`).bind(code).all<{ day: string; clicks: number }>();
    expect(rows.results).toEqual([{ day: new Date().toISOString().slice(0, 10), clicks: 3 }]);
    expect((await memberCall("GET", "/me", token)).body.referral.clicks).toBe(3);
  });

  it("an unknown or malformed code gets a 404 page and no redirect, and counts nothing", async () => {
    for (const path of ["/r/FRIEND-NOSUCH00", "/r/%3Cscript%3E", "/r/" + "A".repeat(60)]) {
      const res = await follow(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain("Referral link not found");
      expect(html).not.toContain("<script");
    }
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM referral_clicks`).first<{ n: number }>())!.n).toBe(1);
  });

  it("attribution: a friend arriving through the link checks out with its client_reference_id; after the hold the referrer's credit reaches Stripe", async () => {
    const landing = new URL((await follow(`/r/${code}`)).headers.get("location")!);
    const B = await friend("linkbeta", { clientReferenceId: landing.searchParams.get("client_reference_id")! });
    expect(await referralOf(B.id)).toMatchObject({ referrer_id: A.id, source: "client_reference_id", status: "pending", invoice_id: "in_linkbeta" });
    expect((await memberCall("GET", "/me", token)).body.referral).toMatchObject({ signups: 1, rewards: { pending: 1, paid: 0 }, credit: { pending: { usd: 5000 }, paid: {} } });

    const at = Date.now() + 15 * DAY;
    const released = await releaseDueRewards(env.DB, rules, at);
    expect(released.actionIds).toEqual([`referral.credit:${B.id}`]);
    await deliverAll(env, released.actionIds, { ...deliverDeps(env), now: () => at });
    expect(fakes.stripe.state.balanceTransactions.filter((t) => t.customer === A.cus).map((t) => [t.amount, t.currency])).toEqual([[-5000, "usd"]]);
    const me = (await memberCall("GET", "/me", token)).body;
    expect(me.referral).toMatchObject({ signups: 1, rewards: { pending: 0, paid: 1 }, credit: { paid: { usd: 5000 } } });
    expect(me.badges.find((b: any) => b.id === "first_referral")).toMatchObject({ earned: true, progress: { current: 1, target: 1 } });
    // The member's history shows the reward, not the program's internal decisions about it.
    const entries = (await memberCall("GET", "/history?limit=100", token)).body.entries.map((e: any) => e.entry);
    expect(entries).toEqual(expect.arrayContaining(["referral.paid", "points.earned", "badge.awarded"]));
    expect(entries).not.toContain("referral.qualified");
  });
});

describe("who gets a code", () => {
  it("a customer that has not paid gets none until they do", async () => {
    const cus = fakes.stripe.state.addCustomer({ email: "ops@trialist.example", name: "trialist" }).id;
    await postStripe(stripe.customer("evt_trialist_cus", { id: cus, email: "ops@trialist.example", name: "trialist" }));
    await drain();
    const me = await memberCall("GET", "/me", await mintToken({ stripe_customer_id: cus }));
    expect(me.status).toBe(200);
    expect(me.body.referral).toMatchObject({ code: null, link: null });
  });
});
