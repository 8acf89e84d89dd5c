import { env } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backfillStep, startBackfill, type BackfillDeps } from "../../src/backfill/run";
import { zendeskTicketDelivery } from "../../src/backfill/zendesk";
import { loadConfig } from "../../src/env";
import { FakeHubSpot } from "../fakes/hubspot";
import { FakeZendesk } from "../fakes/zendesk";
import { drainWith, hubspotEvent, postHubspot, withZendesk, ZENDESK_API } from "../enrichment/support";
import { recordingQueue } from "./apply";

const DAY = 86_400_000;
const now = Date.now();
const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789" });
const zd = new FakeZendesk({ email: ZENDESK_API.ZENDESK_API_EMAIL, token: ZENDESK_API.ZENDESK_API_TOKEN, perMinute: 1000 });
const server = setupServer(
  http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)),
  http.all("https://zendesk.fake/*", ({ request }) => zd.handle(request as unknown as Request)),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
zd.addUser(8301, "erlich@aviato.example");
zd.addUser(8302, "jared@aviato.example");
for (let i = 0; i < 150; i++) {
  const at = now - (1 + (i % 80)) * DAY;
  zd.addTicket({ id: 7000 + i, status: i % 3 ? "solved" : "open", priority: i % 5 ? "normal" : "urgent", subject: `Ticket ${i}`, requester_id: i % 2 ? 8301 : 8302, created_at: iso(at - DAY), updated_at: iso(at) });
}
// Older than 90 days: not exported. Deleted: kept as an ignored row with the reason.
for (let i = 0; i < 3; i++) zd.addTicket({ id: 7900 + i, status: "closed", subject: "Old", requester_id: 8301, created_at: iso(now - 200 * DAY), updated_at: iso(now - 120 * DAY) });
zd.addTicket({ id: 7999, status: "deleted", subject: "Spam", requester_id: 8301, created_at: iso(now - 3 * DAY), updated_at: iso(now - 2 * DAY) });

const cfg = loadConfig(withZendesk);
const queue = recordingQueue();
const deps = (): BackfillDeps => ({ db: env.DB, cfg, fetch, now: Date.now, events: queue });

describe("Zendesk backfill: the last 90 days of tickets from the incremental export", () => {
  it("pages through the cursor export, 100 at a time, and stops at end_of_stream", async () => {
    await startBackfill(deps(), "zendesk");
    let step;
    for (let i = 0; i < 10; i++) {
      step = await backfillStep(deps(), "zendesk");
      if (step.error || step.progress.status !== "running") break;
    }
    expect(step!.error).toBeUndefined();
    expect(step!.progress).toMatchObject({ status: "done", read: 151, imported: 151 });
    const exports = zd.requests.filter((r) => r.path.startsWith("/api/v2/incremental/tickets/cursor.json"));
    expect(exports).toHaveLength(2);
    const first = new URL(`https://x${exports[0]!.path}`).searchParams;
    expect(Number(first.get("start_time"))).toBeGreaterThanOrEqual(Math.floor((now - 90 * DAY) / 1000) - 5);
    expect(first.get("per_page")).toBe("100");
    expect(new URL(`https://x${exports[1]!.path}`).searchParams.has("cursor")).toBe(true);
    const deleted = await env.DB.prepare(`SELECT status, reason FROM inbox_events WHERE source = 'zendesk' AND vendor_type = 'ticket.snapshot' AND payload LIKE '%"id":7999%'`).first();
    expect(deleted).toEqual({ status: "ignored", reason: "a deleted ticket" });
  });

  it("the imported tickets wait for their requester's lookup, then land on the customer of that domain", async () => {
    const companyId = hub.addCompany({ name: "Aviato" });
    await postHubspot([
      hubspotEvent("company.creation", { objectId: Number(companyId) }),
      hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "domain", propertyValue: "aviato.example" }),
    ]);
    await drainWith(withZendesk, 30);
    const customer = await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value = ?`).bind(companyId).first<{ customer_id: string }>();
    const rows = await env.DB.prepare(`SELECT status, customer_id, COUNT(*) AS n FROM inbox_events WHERE source = 'zendesk' AND vendor_type = 'ticket.snapshot' GROUP BY 1, 2 ORDER BY 1`).all();
    expect(rows.results).toEqual([
      { status: "ignored", customer_id: null, n: 1 },
      { status: "processed", customer_id: customer!.customer_id, n: 150 },
    ]);
    expect(zd.requests.filter((r) => r.path.startsWith("/api/v2/users/")).map((r) => r.path).sort()).toEqual(["/api/v2/users/8301.json", "/api/v2/users/8302.json"]);
  });

  it("a second run imports nothing twice", async () => {
    await startBackfill(deps(), "zendesk");
    let step;
    for (let i = 0; i < 10; i++) {
      step = await backfillStep(deps(), "zendesk");
      if (step.error || step.progress.status !== "running") break;
    }
    expect(step!.progress).toMatchObject({ status: "done", read: 151, imported: 0 });
  });
});

describe("zendeskTicketDelivery", () => {
  it("maps a ticket as it stands, keyed by its facts, with the requester and organization as identity hints", () => {
    const t = { id: 42, status: "pending", priority: "high", subject: "Slow", tags: ["perf"], requester_id: 1, organization_id: 2, created_at: "2026-11-01T10:00:00Z", updated_at: "2026-11-02T10:00:00Z" };
    const d = zendeskTicketDelivery(t, 1);
    expect(d.events).toEqual([
      expect.objectContaining({ type: "ticket.changed", desk: "zendesk", ticketId: "42", status: "pending", priority: "high", tags: ["perf"], title: "Slow", openedAt: Date.parse("2026-11-01T10:00:00Z"), subject: { zendeskUserId: "1", zendeskOrganizationId: "2" } }),
    ]);
    expect(zendeskTicketDelivery({ ...t }, 5).dedupeKey).toBe(d.dedupeKey);
    expect(zendeskTicketDelivery({ ...t, status: "solved" }, 5).dedupeKey).not.toBe(d.dedupeKey);
    expect(zendeskTicketDelivery({ id: "x" }, 5).ignoredReason).toMatch(/unreadable Zendesk ticket at id/);
  });
});
