import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { firstPage } from "../../src/jobs/daily";
import { firstFeedbackPage, HUBSPOT_FEEDBACK_LOOKBACK_DAYS } from "../../src/jobs/hubspot-feedback";
import { feedbackSubmissionDelivery } from "../../src/jobs/hubspot-feedback-submissions";
import { runJobPage } from "../../src/jobs/run";
import { status } from "../../src/routes/status";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { FakeHubSpot } from "../fakes/hubspot";
import { ADMIN } from "../support/drain";
import { jobHarness, runPages } from "../support/jobs";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "../webhooks/stripe-support";

const TOKEN = "pat-feedback-test-0123456789";
const API = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_API_BASE: "https://hubspot-feedback.fake" };
/** The fake's clock: a 429 lets its Retry-After pass before the next request, as the queue's retry delay would. */
let clock = Date.now();
const hub = new FakeHubSpot({ token: TOKEN, burstMax: 3, now: () => clock });
/** A portal with more submissions than one search query may list (10,000), for the restart. */
const big = new FakeHubSpot({ token: TOKEN, burstMax: 1000 });
const server = setupServer(
  http.all("https://hubspot-feedback.fake/*", async ({ request }) => {
    const res = await hub.handle(request as unknown as Request);
    if (res.status === 429) clock += Number(res.headers.get("retry-after")) * 1000;
    return res;
  }),
  http.all("https://hubspot-big.fake/*", ({ request }) => big.handle(request as unknown as Request)),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const DAY = 86_400_000;

/** The event ids the pages enqueued, through the real events consumer in batches of 50 (the queue's max_batch_size). */
async function applyEnqueued(eventIds: string[]): Promise<void> {
  for (let i = 0; i < eventIds.length; i += 50) {
    const batch = createMessageBatch("tenure-events", eventIds.slice(i, i + 50).map((eventId, j) => ({ id: `hf-${i + j}`, timestamp: new Date(), attempts: 1, body: { eventId } })));
    const ctx = createExecutionContext();
    await worker.queue!(batch as MessageBatch<never>, env as never);
    expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([]);
  }
}
const isFeedbackPage = (body: unknown) => (body as { job?: string }).job === "hubspot-feedback";
const searches = () => hub.requests.filter((r) => r.path === "/crm/v3/objects/feedback_submissions/search");
const bodyOf = (r: { body: string }) => JSON.parse(r.body);

describe("HubSpot survey responses, read by the daily chain", () => {
  const asOf = Date.now();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // Acme is known by its HubSpot company; Beta only by its email domain.
    await postStripe(stripeEvent("customer.created", "evt_hf_acme", (o) => ((o.id = "cus_hf_acme"), (o.email = "billing@hf-acme.example"), (o.metadata = { hubspot_company_id: "9001" }))));
    await postStripe(stripeEvent("customer.created", "evt_hf_beta", (o) => ((o.id = "cus_hf_beta"), (o.email = "ops@hf-beta.example"), (o.metadata = {}))));
    await applyReceived();
    hub.lists.addContact({ email: "lee@gmail.com" }, ["9001"], "301");
    hub.lists.addContact({ email: "sam@hf-beta.example" }, [], "302");
    const at = (i: number) => asOf - DAY + i * 60_000;
    // 60 CSAT answers from Acme's free-mail contact: 2 (satisfied), 2, 1, 0 in turn; the first with a comment.
    for (let i = 0; i < 60; i++) hub.feedback.addSubmission("CSAT", String([2, 2, 1, 0][i % 4]), "301", at(i), i === 0 ? { hs_content: "  Quick and kind " } : {});
    // 40 NPS answers and one CES answer from Beta's contact.
    for (let i = 0; i < 40; i++) ids[`nps${i}`] = hub.feedback.addSubmission("NPS", String(i % 11), "302", at(60 + i));
    ids.ces = hub.feedback.addSubmission("CES", "6", "302", at(100));
    // Neither NPS, CSAT nor CES; off the CSAT scale; no contact; a contact HubSpot no longer has.
    ids.custom = hub.feedback.addSubmission("CUSTOM", "4", "302", at(101));
    ids.offScale = hub.feedback.addSubmission("CSAT", "5", "301", at(102));
    ids.anonymous = hub.feedback.addSubmission("NPS", "9", null, at(103));
    ids.gone = hub.feedback.addSubmission("NPS", "3", "399", at(104));
    // Older than the look-back: not asked for.
    ids.old = hub.feedback.addSubmission("NPS", "10", "302", asOf - 10 * DAY);
  });

  it("pages through the search with the token, waits out a 429, and stores each submission once", async () => {
    const h = jobHarness({ vars: API });
    const runs = await runPages(h, [firstPage("hubspot-feedback", asOf)], { follow: isFeedbackPage });
    // 105 submissions at 100 a page; the burst limit (3 per 10 s) refuses page 2's contacts read, and the queue retries that page.
    expect(runs.map((r) => [(r.body as { after: string | null }).after, r.attempts, r.retried])).toEqual([
      [null, 1, false],
      ["100", 1, true],
      ["100", 2, false],
    ]);
    expect(hub.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(hub.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const first = bodyOf(searches()[0]!);
    expect(first.filterGroups).toEqual([{ filters: [{ propertyName: "hs_createdate", operator: "GTE", value: String(asOf - HUBSPOT_FEEDBACK_LOOKBACK_DAYS * DAY) }] }]);
    expect(first.sorts).toEqual([{ propertyName: "hs_createdate", direction: "ASCENDING" }]);
    expect(searches().map((r) => bodyOf(r).after ?? null)).toEqual([null, "100", "100"]);
    // One batch read per page, each contact asked for once.
    const reads = hub.requests.filter((r) => r.path === "/crm/v3/objects/contacts/batch/read" && r.status !== 429);
    expect(reads.map((r) => bodyOf(r).inputs.map((i: { id: string }) => i.id).sort())).toEqual([["301", "302"], ["301", "302", "399"]]);

    const rows = await env.DB.prepare(`SELECT id, status, reason FROM inbox_events WHERE source = 'hubspot' AND vendor_type = 'feedback_submission' ORDER BY id`).all<{ id: string; status: string; reason: string | null }>();
    expect(rows.results).toHaveLength(105);
    const ignored = Object.fromEntries(rows.results.filter((r) => r.status === "ignored").map((r) => [r.id, r.reason]));
    expect(ignored).toEqual({
      [`hubspot:feedback_submission:${ids.custom}`]: "HubSpot CUSTOM surveys are neither NPS, CSAT nor CES",
      [`hubspot:feedback_submission:${ids.offScale}`]: 'a CSAT answer of "5" is not a whole number in 0–2',
      [`hubspot:feedback_submission:${ids.anonymous}`]: `HubSpot feedback submission ${ids.anonymous} names no contact`,
    });
    expect(rows.results.some((r) => r.id.endsWith(`:${ids.old}`))).toBe(false);
    expect(new Set(h.eventIds).size).toBe(102);

    await applyEnqueued(h.eventIds);
    // Acme through the contact's primary company (a gmail address proves nothing), Beta through the email domain.
    const acme = (await customerByStripeId("cus_hf_acme")).state.sentiment.responses;
    const beta = (await customerByStripeId("cus_hf_beta")).state.sentiment.responses;
    const ofHubSpot = (r: Record<string, unknown>) => Object.entries(r).filter(([k]) => k.startsWith("hubspot-feedback:"));
    expect(ofHubSpot(acme)).toHaveLength(60);
    expect(ofHubSpot(beta)).toHaveLength(41);
    expect(Object.values(acme).find((r: any) => r.comment)).toMatchObject({ kind: "csat", score: 2, scale: { min: 0, max: 2 }, comment: "Quick and kind" });
    expect(beta[`hubspot-feedback:${ids.nps10}`]).toEqual(expect.objectContaining({ score: 10 }));
    expect(beta[`hubspot-feedback:${ids.nps10}`].kind).toBeUndefined();
    expect(beta[`hubspot-feedback:${ids.ces}`]).toMatchObject({ kind: "ces", score: 6, scale: { min: 1, max: 7 } });
    // A contact HubSpot no longer serves, and Tenure never saw: unmatched, visibly.
    const gone = await env.DB.prepare(`SELECT status FROM inbox_events WHERE id = ?`).bind(`hubspot:feedback_submission:${ids.gone}`).first<{ status: string }>();
    expect(gone?.status).toBe("unmatched");

    const m = await SELF.fetch(`https://tenure.example.com/api/metrics?from=${new Date(asOf - 2 * DAY).toISOString()}&to=${new Date(asOf + 60_000).toISOString()}`, { headers: ADMIN });
    // 30 satisfied of 60 CSAT answers; the CES answer 6 of 1–7 is 83.3 %.
    expect((await m.json<any>()).metrics.csat).toMatchObject({ value: 50, responses: 60, satisfied: 30, cesResponses: 1, ces: 83.3 });
  });

  it("a contact Tenure has seen is found by its HubSpot id, even once HubSpot has deleted it", async () => {
    hub.lists.contacts.delete("302");
    const late = hub.feedback.addSubmission("NPS", "2", "302", asOf + 30 * 60_000);
    clock += 60_000;
    const h = jobHarness({ vars: API });
    await runPages(h, [firstPage("hubspot-feedback", asOf + 3_600_000)], { follow: isFeedbackPage });
    expect(h.eventIds).toEqual([`hubspot:feedback_submission:${late}`]);
    await applyEnqueued(h.eventIds);
    const beta = (await customerByStripeId("cus_hf_beta")).state.sentiment.responses;
    expect(beta[`hubspot-feedback:${late}`]).toMatchObject({ score: 2 });
  });

  it("the next day's run finds the same submissions again: duplicates, nothing applied twice", async () => {
    clock += 60_000;
    const count = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE source = 'hubspot'`).first<{ n: number }>())!.n;
    const before = await count();
    const h = jobHarness({ vars: API });
    await runPages(h, [firstPage("hubspot-feedback", asOf + 2 * 3_600_000)], { follow: isFeedbackPage });
    expect(h.eventIds).toEqual([]);
    expect(await count()).toBe(before);
  });

  it("without a token the step is skipped visibly: no request, the chain goes on, /health says what to set", async () => {
    const asked = hub.requests.length;
    const bare = { ...env, ...API, HUBSPOT_ACCESS_TOKEN: "" } as unknown as Env;
    expect(await runJobPage(bare, { kind: "job", body: firstPage("hubspot-feedback", asOf) as never })).toEqual(firstPage("prune-inbox", asOf));
    expect(hub.requests.length).toBe(asked);
    const off = await (await status.request("/health", {}, bare)).json<any>();
    expect(off.polls.hubspotFeedback).toMatch(/^off: set HUBSPOT_ACCESS_TOKEN .*\(the daily step is skipped\)$/);
    const on = await (await SELF.fetch("https://tenure.example.com/health")).json<any>();
    expect(on.polls.hubspotFeedback).toBe("enabled");
  });

  it("a refusal retrying cannot change (a wrong token) ends today's step at once, without burning the queue's retries", async () => {
    clock += 60_000;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const h = jobHarness({ vars: { ...API, HUBSPOT_ACCESS_TOKEN: "pat-wrong" } });
    const runs = await runPages(h, [firstPage("hubspot-feedback", asOf)], { follow: isFeedbackPage });
    expect(runs.map((r) => r.retried)).toEqual([false]);
    expect(hub.requests.at(-1)).toMatchObject({ status: 401 });
    expect(h.eventIds).toEqual([]);
    expect(errors.mock.calls.flat().join(" ")).toMatch(/HubSpot feedback poll stopped until tomorrow's run.*HubSpot 401/);
    errors.mockRestore();
  });

  it("past the search's 10,000 results, the listing starts again from the last creation time read", async () => {
    const start = asOf - 2 * DAY;
    for (let i = 0; i < 10_050; i++) big.feedback.addSubmission("NPS", "8", null, start + i * 1000, {}, String(8_000_000 + i));
    const h = jobHarness({ vars: { ...API, HUBSPOT_API_BASE: "https://hubspot-big.fake" } });
    const page = { ...firstFeedbackPage(asOf), after: "9900" };
    const runs = await runPages(h, [page], { follow: isFeedbackPage });
    expect(runs.map((r) => r.body)).toEqual([page, { ...page, since: start + 9999 * 1000, after: null }]);
    const asked = big.requests.filter((r) => r.path.endsWith("/search")).map((r) => JSON.parse(r.body));
    expect(asked.map((b) => [b.filterGroups[0].filters[0].value, b.after ?? null])).toEqual([
      [String(page.since), "9900"],
      [String(start + 9999 * 1000), null],
    ]);
    // The restart re-reads the last submission of page one (a duplicate) and the 50 after it.
    expect((await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'hubspot:feedback_submission:8%'`).first<{ n: number }>())!.n).toBe(150);
  });

  it("reads NPS 0–10, CSAT 0–2 and CES 1–7 from HubSpot's string values; anything else is ignored with the reason", () => {
    const d = (type: string, value: string) => feedbackSubmissionDelivery({ id: "1", properties: { hs_survey_type: type, hs_value: value, hs_contact_id: "7", hs_submission_timestamp: "2026-12-01T10:00:00.000Z" } }, { email: "a@b.example" }, 0);
    expect(d("NPS", "0").events[0]).toMatchObject({ score: 0, subject: { hubspotContactId: "7", email: "a@b.example", domain: "b.example" }, occurredAt: Date.parse("2026-12-01T10:00:00.000Z") });
    expect(d("csat", "1").events[0]).toMatchObject({ kind: "csat", score: 1, scale: { min: 0, max: 2 } });
    expect(d("CES", "7").events[0]).toMatchObject({ kind: "ces", score: 7, scale: { min: 1, max: 7 } });
    expect(d("NPS", "11").ignoredReason).toBe('a NPS answer of "11" is not a whole number in 0–10');
    expect(d("CES", "0").ignoredReason).toMatch(/not a whole number in 1–7/);
    expect(d("NPS", "7.5").ignoredReason).toMatch(/"7.5"/);
    expect(d("KNOWLEDGE", "1").ignoredReason).toBe("HubSpot KNOWLEDGE surveys are neither NPS, CSAT nor CES");
    expect(feedbackSubmissionDelivery({ id: "x y", properties: {} }, null, 5).ignoredReason).toMatch(/^unreadable HubSpot feedback submission at id/);
  });
});
