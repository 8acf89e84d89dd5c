import { createExecutionContext, env } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connectors } from "../../connectors/registry";
import type { Action } from "../../src/core/actions";
import { loadConfig, type Env } from "../../src/env";
import { deliverDestination, type DeliverDeps } from "../../src/outbox/deliver";
import { insertActionStmts } from "../../src/store/outbox";
import worker from "../../src/index";
import { FakeHubSpot } from "../fakes/hubspot";
import { FakeZendesk } from "../fakes/zendesk";
import { SimClock } from "../outbox/sim-clock";
import { outboxRow, ZENDESK_API } from "./support";

const T0 = Date.UTC(2026, 10, 2, 9);
const clock = new SimClock(T0);
const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789", now: clock.now, burstMax: 2 });
const zd = new FakeZendesk({ email: ZENDESK_API.ZENDESK_API_EMAIL, token: ZENDESK_API.ZENDESK_API_TOKEN, now: clock.now, perMinute: 2 });
const server = setupServer(
  http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)),
  http.all("https://zendesk.fake/*", ({ request }) => zd.handle(request as unknown as Request)),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(async () => {
  await env.DB.prepare(`DELETE FROM outbox`).run();
});

function deps(bindings: Env): DeliverDeps {
  return { db: env.DB, cfg: loadConfig(bindings), connectors, fetch: (i, init) => fetch(i, init), now: clock.now, timers: clock.timers };
}
const insert = (actions: Action[]) => env.DB.batch(insertActionStmts(env.DB, actions, clock.t));
const lookup = (objectType: "deals" | "tickets" | "contacts", objectId: string): Action => ({ id: `enrich:hubspot:${objectType}:${objectId}`, customerId: null, payload: { type: "hubspot.associations", objectType, objectId } });
const zendesk = (object: "user" | "organization", objectId: string): Action => ({ id: `enrich:zendesk:${object}:${objectId}`, customerId: null, payload: { type: "zendesk.lookup", object, objectId } });
const withZendesk = { ...env, ...ZENDESK_API } as Env;

describe("hubspot.associations against HubSpot's v4 API", () => {
  it("reads every page (500 per page), the primary company first", async () => {
    for (let i = 0; i < 620; i++) hub.associations.associate("deals", "51000001", String(60_000_000 + i));
    hub.associations.associate("deals", "51000001", "60000700", true);
    await insert([lookup("deals", "51000001")]);
    clock.advance(20_000);
    await deliverDestination(deps(env as Env), "hubspot", []);
    const row = await outboxRow("enrich:hubspot:deals:51000001");
    expect(row).toMatchObject({ status: "delivered" });
    const result = JSON.parse(row!.result!);
    expect(result.companies).toHaveLength(621);
    expect(result.companies[0]).toBe("60000700");
    expect(new Set(result.companies).size).toBe(621);
    const reads = hub.requests.filter((r) => r.path.startsWith("/crm/v4/objects/deals/51000001/"));
    expect(reads.map((r) => new URL(`https://x${r.path}`).searchParams.has("after"))).toEqual([false, true]);
  });

  it("a burst past HubSpot's limit gets its 429 with Retry-After, and the action waits that long", async () => {
    clock.advance(20_000);
    hub.associations.associate("tickets", "52000001", "60000001", true);
    await insert([lookup("tickets", "52000001")]);
    // Two other calls fill the 2-per-10-s window first.
    await fetch("https://hubspot.fake/crm/v3/owners", { headers: { authorization: "Bearer pat-test-hubspot-0123456789" } });
    await fetch("https://hubspot.fake/crm/v3/owners", { headers: { authorization: "Bearer pat-test-hubspot-0123456789" } });
    await deliverDestination(deps(env as Env), "hubspot", []);
    const waiting = await outboxRow("enrich:hubspot:tickets:52000001");
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringContaining("429") });
    const limited = hub.requests.at(-1)!;
    expect(limited.status).toBe(429);
    expect(waiting!.next_attempt_at - clock.t).toBeGreaterThanOrEqual(9_000);
    clock.advance(waiting!.next_attempt_at - clock.t);
    await deliverDestination(deps(env as Env), "hubspot", []);
    expect(JSON.parse((await outboxRow("enrich:hubspot:tickets:52000001"))!.result!)).toEqual({ objectType: "tickets", objectId: "52000001", companies: ["60000001"] });
  });

  it("without HUBSPOT_ACCESS_TOKEN the lookup is skipped visibly, and /health says HubSpot enrichment is off", async () => {
    const bare = { ...env, HUBSPOT_ACCESS_TOKEN: "" } as Env;
    await insert([lookup("deals", "53000001")]);
    const before = hub.requests.length;
    await deliverDestination(deps(bare), "hubspot", []);
    expect(await outboxRow("enrich:hubspot:deals:53000001")).toMatchObject({ status: "skipped", last_error: "HUBSPOT_ACCESS_TOKEN is not set" });
    expect(hub.requests.length).toBe(before);
    const res = await worker.fetch!(new Request("https://tenure.example.com/health") as never, bare as never, createExecutionContext());
    const health = await res.json<{ enrichment: Record<string, string> }>();
    expect(health.enrichment.hubspot).toMatch(/^off: HUBSPOT_ACCESS_TOKEN is not set/);
    expect(health.enrichment.zendesk).toMatch(/^off: ZENDESK_SUBDOMAIN, ZENDESK_API_EMAIL, ZENDESK_API_TOKEN are not set/);
    const on = await worker.fetch!(new Request("https://tenure.example.com/health") as never, withZendesk as never, createExecutionContext());
    expect((await on.json<{ enrichment: Record<string, string> }>()).enrichment).toEqual({ hubspot: "enabled", zendesk: "enabled" });
  });
});

describe("zendesk.lookup against Zendesk's API", () => {
  it("reads a requester's email domain and an organization's domain_names with Basic {email}/token auth", async () => {
    zd.addUser(7001, "Dana.Ops@Globex.Example", 9001);
    zd.addOrganization(9001, ["globex.example", "GLOBEX.io"]);
    await insert([zendesk("user", "7001")]);
    await deliverDestination(deps(withZendesk), "zendesk", []);
    clock.advance(1);
    await insert([zendesk("organization", "9001")]);
    await deliverDestination(deps(withZendesk), "zendesk", []);
    expect(JSON.parse((await outboxRow("enrich:zendesk:user:7001"))!.result!)).toEqual({ object: "user", objectId: "7001", domains: ["globex.example"] });
    expect(JSON.parse((await outboxRow("enrich:zendesk:organization:9001"))!.result!)).toEqual({ object: "organization", objectId: "9001", domains: ["globex.example", "globex.io"] });
    expect(zd.requests.map((r) => r.path)).toEqual(["/api/v2/users/7001.json", "/api/v2/organizations/9001.json"]);
    expect(zd.requests[0]!.headers.authorization).toBe(`Basic ${btoa("ops@tenure.example/token:zd-test-token-0123456789")}`);
  });

  it("a 429 waits for Zendesk's Retry-After; an unknown id is a permanent failure", async () => {
    clock.advance(61_000);
    zd.addUser(7002, "li@globex.example");
    await insert([zendesk("user", "7002"), zendesk("user", "7999")]);
    await deliverDestination(deps(withZendesk), "zendesk", ["enrich:zendesk:user:7999"]);
    expect(await outboxRow("enrich:zendesk:user:7999")).toMatchObject({ status: "failed", last_error: expect.stringContaining("404: RecordNotFound") });
    // The window holds 2 a minute: the next call fills it, the one after is refused with Retry-After.
    await fetch("https://zendesk.fake/api/v2/users/7001.json", { headers: { authorization: `Basic ${btoa("ops@tenure.example/token:zd-test-token-0123456789")}` } });
    await deliverDestination(deps(withZendesk), "zendesk", ["enrich:zendesk:user:7002"]);
    const waiting = await outboxRow("enrich:zendesk:user:7002");
    expect(waiting).toMatchObject({ status: "pending", attempts: 1 });
    expect(zd.requests.at(-1)!.status).toBe(429);
    expect(waiting!.next_attempt_at - clock.t).toBeGreaterThanOrEqual(59_000);
    clock.advance(waiting!.next_attempt_at - clock.t);
    await deliverDestination(deps(withZendesk), "zendesk", ["enrich:zendesk:user:7002"]);
    expect(await outboxRow("enrich:zendesk:user:7002")).toMatchObject({ status: "delivered" });
  });

  it("without Zendesk credentials the lookup is skipped, naming what is missing", async () => {
    await insert([zendesk("organization", "9002")]);
    await deliverDestination(deps(env as Env), "zendesk", []);
    expect(await outboxRow("enrich:zendesk:organization:9002")).toMatchObject({ status: "skipped", last_error: "ZENDESK_SUBDOMAIN, ZENDESK_API_EMAIL, ZENDESK_API_TOKEN are not set" });
  });
});
