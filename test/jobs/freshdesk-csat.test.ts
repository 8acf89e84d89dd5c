import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { firstPage } from "../../src/jobs/daily";
import { FRESHDESK_CSAT_LOOKBACK_DAYS } from "../../src/jobs/freshdesk-csat";
import { freshdeskApiBase, freshdeskRatingDelivery } from "../../src/jobs/freshdesk-ratings";
import { runJobPage } from "../../src/jobs/run";
import { loadConfig, type Env } from "../../src/env";
import { FakeFreshdesk } from "../fakes/freshdesk";
import { ADMIN } from "../support/drain";
import { jobHarness, runPages } from "../support/jobs";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "../webhooks/stripe-support";

const API = { FRESHDESK_DOMAIN: "acme", FRESHDESK_API_KEY: "fd_test_key", FRESHDESK_API_BASE: "https://freshdesk.fake" };
const fd = new FakeFreshdesk({ apiKey: API.FRESHDESK_API_KEY, perMinute: 100 });
const server = setupServer(http.all("https://freshdesk.fake/*", ({ request }) => fd.handle(request as unknown as Request)));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const isFreshdeskPage = (body: unknown) => (body as { job?: string }).job === "freshdesk-csat";

describe("Freshdesk satisfaction ratings, read by the daily chain", () => {
  const asOf = Date.now();

  beforeAll(async () => {
    await postStripe(stripeEvent("customer.created", "evt_fd_cus", (o) => ((o.id = "cus_fd_acme"), (o.email = "ops@fd-acme.example"), (o.metadata = {}))));
    await applyReceived();
    // A free-mail requester of a company whose domain is the account's, a requester on the domain, a deleted one.
    fd.addCompany(900, ["FD-Acme.example"]);
    fd.addContact(1, "lee@gmail.com", 900);
    fd.addContact(2, "sam@fd-acme.example");
    let id = 7000;
    const at = (i: number) => iso(asOf - DAY + i * 60_000);
    for (let i = 0; i < 20; i++) fd.addRating({ id: ++id, user_id: 1, ticket_id: 100 + i, ratings: { default_question: 103, question_1: -101 }, created_at: at(i), feedback: i === 0 ? "Quick and kind" : null });
    for (let i = 0; i < 14; i++) fd.addRating({ id: ++id, user_id: 2, ticket_id: 200 + i, ratings: { default_question: -103 }, created_at: at(20 + i) });
    fd.addRating({ id: ++id, user_id: 3, ticket_id: 300, ratings: { default_question: 103 }, created_at: at(40) });
    // Older than the look-back: not asked for.
    fd.addRating({ id: 6999, user_id: 2, ticket_id: 99, ratings: { default_question: 103 }, created_at: iso(asOf - 10 * DAY) });
  });

  it("pages through every rating with basic auth, waits out a 429, and stores each once", async () => {
    fd.faults.failNext(1, 429);
    const h = jobHarness({ vars: API });
    const runs = await runPages(h, [firstPage("freshdesk-csat", asOf)], { follow: isFreshdeskPage });
    // The first attempt met the 429 (Retry-After: 30) and was retried by the queue; then two pages of 30 and 5.
    expect(runs.map((r) => [(r.body as { page: number }).page, r.attempts, r.retried])).toEqual([
      [1, 1, true],
      [1, 2, false],
      [2, 1, false],
    ]);
    expect(fd.requests.every((r) => r.headers.authorization === `Basic ${btoa("fd_test_key:X")}`)).toBe(true);
    const lists = fd.requests.filter((r) => r.path.startsWith("/api/v2/surveys/satisfaction_ratings") && r.status === 200);
    expect(lists.map((r) => new URL(`https://x${r.path}`).searchParams.get("page"))).toEqual(["1", "2"]);
    expect(new URL(`https://x${lists[0]!.path}`).searchParams.get("created_since")).toBe(iso(asOf - FRESHDESK_CSAT_LOOKBACK_DAYS * DAY));
    // One lookup per requester and company per page, not one per rating (requester 1's 20 ratings are all on page 1).
    expect(fd.requests.filter((r) => r.path === "/api/v2/contacts/1")).toHaveLength(1);
    expect(fd.requests.filter((r) => r.path === "/api/v2/contacts/2")).toHaveLength(2);
    expect(fd.requests.filter((r) => r.path === "/api/v2/companies/900")).toHaveLength(1);

    const rows = await env.DB.prepare(`SELECT status, reason FROM inbox_events WHERE source = 'freshdesk' AND vendor_type = 'satisfaction_rating' ORDER BY id`).all<{ status: string; reason: string | null }>();
    expect(rows.results).toHaveLength(35);
    expect(rows.results.filter((r) => r.status === "ignored")).toEqual([{ status: "ignored", reason: "Freshdesk no longer knows requester 3 of rating 7035" }]);
    expect(new Set(h.eventIds).size).toBe(34);

    await applyReceived();
    const c = await customerByStripeId("cus_fd_acme");
    const answers = Object.entries((c as any).state.sentiment.responses).filter(([k]) => k.startsWith("freshdesk:"));
    expect(answers).toHaveLength(34);
    expect((c as any).state.sentiment.responses["freshdesk:7001"]).toMatchObject({ kind: "csat", score: 7, scale: { min: 1, max: 7 }, comment: "Quick and kind" });
    const m = await SELF.fetch(`https://tenure.example.com/api/metrics?from=${new Date(asOf - 2 * DAY).toISOString()}&to=${new Date(asOf + 60_000).toISOString()}`, { headers: ADMIN });
    // 20 happiest of 34 answers: 58.8 %.
    expect((await m.json<any>()).metrics.csat).toMatchObject({ value: 58.8, responses: 34, satisfied: 20 });
  });

  it("the next day's run finds the same ratings again: duplicates, nothing applied twice", async () => {
    const before = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'freshdesk'`).first<{ n: number }>())!.n;
    const h = jobHarness({ vars: API });
    await runPages(h, [firstPage("freshdesk-csat", asOf + 3_600_000)], { follow: isFreshdeskPage });
    expect(h.eventIds).toEqual([]);
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'freshdesk'`).first<{ n: number }>())!.n).toBe(before);
  });

  it("without credentials the step is skipped visibly: no request, the chain goes on, /health says what to set", async () => {
    const asked = fd.requests.length;
    const bare = { ...env, FRESHDESK_API_KEY: "" } as unknown as Env;
    expect(await runJobPage(bare, { kind: "job", body: { job: "freshdesk-csat", asOf, page: 1 } })).toEqual({ job: "hubspot-owners", asOf });
    expect(fd.requests.length).toBe(asked);
    const health = await (await SELF.fetch("https://tenure.example.com/health")).json<any>();
    expect(health.polls.freshdeskCsat).toMatch(/^off: set FRESHDESK_DOMAIN and FRESHDESK_API_KEY/);
  });

  it("a refusal retrying cannot change (a wrong API key) ends today's step at once, without burning the queue's retries", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const h = jobHarness({ vars: { ...API, FRESHDESK_API_KEY: "wrong" } });
    const runs = await runPages(h, [firstPage("freshdesk-csat", asOf)], { follow: isFreshdeskPage });
    expect(runs.map((r) => r.retried)).toEqual([false]);
    expect(fd.requests.at(-1)).toMatchObject({ status: 401 });
    expect(h.eventIds).toEqual([]);
    expect(errors.mock.calls.flat().join(" ")).toMatch(/Freshdesk CSAT poll stopped until tomorrow's run.*Freshdesk 401/);
    errors.mockRestore();
  });

  it("reads the main question only, on Freshdesk's codes; an unknown code is ignored with the reason", () => {
    const d = (code: number) => freshdeskRatingDelivery({ id: 1, user_id: 2, ratings: { default_question: code }, created_at: "2026-12-01T10:00:00Z" }, { email: "a@b.example" }, 0);
    expect([-103, -102, -101, 100, 101, 102, 103].map((c) => (d(c).events[0] as any).score)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(d(104).ignoredReason).toMatch(/default_question: 104/);
    expect(freshdeskApiBase(loadConfig({ ...env, FRESHDESK_API_BASE: "", FRESHDESK_DOMAIN: "acme" } as never))).toBe("https://acme.freshdesk.com");
    expect(freshdeskApiBase(loadConfig({ ...env, FRESHDESK_API_BASE: "", FRESHDESK_DOMAIN: "https://help.acme.example/" } as never))).toBe("https://help.acme.example");
  });
});
