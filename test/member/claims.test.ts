import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { api, scenario } from "../loyalty/support";
import { BASE, memberCall, tokenFor } from "./support";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
const { payingCustomer } = scenario(fakes.stripe);

let A: { cus: string; id: string };
let B: { cus: string; id: string };
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  A = await payingCustomer("claimalpha", "claimalpha.example");
  B = await payingCustomer("claimbeta", "claimbeta.example");
  [tokenA, tokenB] = await Promise.all([tokenFor(A.id), tokenFor(B.id)]);
});

const balanceOf = async (token: string) => (await memberCall("GET", "/me", token)).body.points.balance as number;

describe("claims: a member submits, a program manager decides", () => {
  it("a review claim is pending, earns nothing until approved, then its points once; the actor is recorded", async () => {
    const url = "https://www.g2.com/products/tenure/reviews/claimalpha-1";
    const submitted = await memberCall("POST", "/claims", tokenA, { kind: "review", url });
    expect(submitted.status).toBe(201);
    expect(submitted.body.claim).toMatchObject({ kind: "review", url, status: "pending", reason: null, decidedAt: null });
    expect(JSON.stringify(submitted.body)).not.toContain("decidedBy");
    expect(await memberCall("POST", "/claims", tokenA, { kind: "review", url })).toMatchObject({ status: 200, body: { claim: { id: submitted.body.claim.id } } });
    expect(await balanceOf(tokenA)).toBe(0);

    const pending = await api("GET", "/loyalty/claims?status=pending");
    expect(pending.body.claims.map((c: any) => c.id)).toEqual([submitted.body.claim.id]);

    const id = submitted.body.claim.id;
    const approved = await api("POST", `/loyalty/claims/${id}/approve`, { actor: "pat@saas.example" });
    expect(approved.status).toBe(200);
    expect(approved.body.claim).toMatchObject({ status: "approved", decidedBy: "pat@saas.example via admin (token)", ledgerId: `points:${A.id}:review_submitted:claim:${id}` });
    expect(await balanceOf(tokenA)).toBe(100);

    // Approving again, or rejecting after, changes nothing.
    expect(await api("POST", `/loyalty/claims/${id}/approve`, {})).toMatchObject({ status: 409, body: { error: { code: "claim_decided" } } });
    expect(await api("POST", `/loyalty/claims/${id}/reject`, { reason: "late" })).toMatchObject({ status: 409 });
    expect(await balanceOf(tokenA)).toBe(100);
  });

  it("concurrent approvals of one claim award its points once", async () => {
    const { body } = await memberCall("POST", "/claims", tokenA, { kind: "social_share", url: "https://www.linkedin.com/posts/claimalpha-share-1" });
    const results = await Promise.all([1, 2, 3, 4].map(() => api("POST", `/loyalty/claims/${body.claim.id}/approve`, {})));
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(await balanceOf(tokenA)).toBe(125);
  });

  it("a rejected claim earns nothing and the member sees the reason", async () => {
    const { body } = await memberCall("POST", "/claims", tokenB, { kind: "social_share", url: "https://x.com/claimbeta/status/1" });
    const rejected = await api("POST", `/loyalty/claims/${body.claim.id}/reject`, { reason: "The post could not be found." });
    expect(rejected.body.claim).toMatchObject({ status: "rejected", reason: "The post could not be found.", decidedBy: "admin (token)", ledgerId: null });
    expect(await balanceOf(tokenB)).toBe(0);
    const again = await memberCall("POST", "/claims", tokenB, { kind: "social_share", url: "https://x.com/claimbeta/status/1" });
    expect(again).toMatchObject({ status: 200, body: { claim: { status: "rejected", reason: "The post could not be found." } } });
  });

  it("a member lists their own account's claims only", async () => {
    const mine = await memberCall("GET", "/claims", tokenA);
    expect(mine.status).toBe(200);
    expect(mine.body.claims.map((c: any) => c.status).sort()).toEqual(["approved", "approved"]);
    expect(JSON.stringify(mine.body)).not.toContain("decidedBy");
    const theirs = await memberCall("GET", "/claims", tokenB);
    expect(theirs.body.claims.map((c: any) => c.url)).toEqual(["https://x.com/claimbeta/status/1"]);
  });

  it("refuses non-https, credentialed or malformed claims and unknown kinds, storing nothing", async () => {
    const before = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM member_claims`).first<{ n: number }>())!.n;
    for (const bad of [
      { kind: "review", url: "http://example.com/review" },
      { kind: "review", url: "javascript:alert(1)" },
      { kind: "review", url: "https://user:pw@example.com/review" },
      { kind: "review", url: "not a url" },
      { kind: "tweet", url: "https://example.com" },
      {},
    ]) {
      const r = await memberCall("POST", "/claims", tokenB, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM member_claims`).first<{ n: number }>())!.n).toBe(before);
  });

  it("the review routes need the admin token, and know no other claim", async () => {
    const res = await SELF.fetch(`${BASE}/api/loyalty/claims`, { headers: { authorization: `Bearer ${tokenA}`, "cf-connecting-ip": "10.99.0.1" } });
    expect(res.status).toBe(401);
    expect((await api("POST", "/loyalty/claims/claim_00000000-0000-0000-0000-000000000000/approve", {})).status).toBe(404);
    expect((await api("POST", "/loyalty/claims/nope/approve", {})).status).toBe(400);
    expect((await api("POST", `/loyalty/claims/claim_00000000-0000-0000-0000-000000000000/reject`, {})).status).toBe(400);
  });

  it("at most 20 pending claims per account", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await memberCall("POST", "/claims", tokenB, { kind: "review", url: `https://reviews.example/claimbeta/${i}` })).status);
    expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
