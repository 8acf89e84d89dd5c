import { env } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors } from "../../connectors/registry";
import { setupHubspotProperties } from "../../connectors/hubspot";
import type { Action } from "../../src/core/actions";
import type { Destination } from "../../src/core/actions";
import { loadConfig } from "../../src/env";
import { admit, initialBreaker, record, type BreakerState } from "../../src/outbox/breaker";
import { deliverDestination, type DeliverDeps } from "../../src/outbox/deliver";
import { gatePolicy, summarize } from "../../src/outbox/gate";
import { insertActionStmts } from "../../src/store/outbox";
import { FakeHubSpot } from "../fakes/hubspot";
import { FakeSlack } from "../fakes/slack";
import { SimClock } from "./sim-clock";

const clock = new SimClock(Date.UTC(2026, 10, 2, 9, 0, 0));
const now = clock.now;
const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789", now });
const slackFake = new FakeSlack({ token: "xoxb-test-slack-0123456789", now, channels: { C0ALERTS: { name: "alerts" } } });
const server = setupServer(
  http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)),
  http.all("https://slack.fake/*", ({ request }) => slackFake.handle(request as unknown as Request)),
);
const cfg = loadConfig(env);
const COALESCE_MS = 5_000;

/** The deployment-wide gate (rate window + circuit breaker), on the test clock. */
const gates = new Map<Destination, BreakerState>();
const deps: DeliverDeps = {
  db: env.DB,
  cfg,
  connectors,
  fetch: (i, init) => fetch(i, init),
  now,
  timers: clock.timers,
  gate: async (d, calls) => {
    const r = admit(gates.get(d) ?? initialBreaker(), gatePolicy(cfg, d), now(), calls);
    gates.set(d, r.state);
    return r.waitMs;
  },
  report: async (d, outcomes) => void gates.set(d, record(gates.get(d) ?? initialBreaker(), gatePolicy(cfg, d), now(), summarize(outcomes))),
};

async function flush(destination: Destination): Promise<void> {
  for (let i = 0; i < 200 && (await deliverDestination(deps, destination, [])) > 0; i++);
}

function rng(seed: number) {
  return () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const companyIds: string[] = [];
beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  await setupHubspotProperties({ cfg, fetch: (i, init) => fetch(i, init), now });
  for (let i = 0; i < 1000; i++) companyIds.push(hub.addCompany({ name: `Company ${i}` }));
});
afterAll(() => server.close());

const propsOf = (score: number) => ({ tenure_health_score: String(score), tenure_health_band: score < 50 ? "red" : score > 75 ? "green" : "yellow" });
const writes = () => hub.requests.filter((r) => r.path.startsWith("/crm/v3/objects/companies/batch/update"));

describe("HubSpot under a burst", () => {
  it("5,000 score changes across 1,000 companies in a minute: full batches, no 429, HubSpot equals Tenure", { timeout: 120_000 }, async () => {
    const random = rng(42);
    const expected = new Map<string, Record<string, string>>();
    const before = writes().length;
    for (let step = 0; step < 120; step++) {
      const actions: Action[] = [];
      for (let k = 0; k < 5000 / 120; k++) {
        const companyId = companyIds[Math.floor(random() * companyIds.length)]!;
        const properties = propsOf(Math.floor(random() * 101));
        expected.set(companyId, properties);
        actions.push({ id: `hubspot.properties:${companyId}`, customerId: null, payload: { type: "hubspot.properties", companyId, properties } });
      }
      // One action per change; several changes to one company coalesce in its outbox row (latest wins).
      await env.DB.batch(insertActionStmts(env.DB, actions, now(), COALESCE_MS));
      await flush("hubspot");
      clock.advance(500);
    }
    clock.advance(COALESCE_MS);
    await flush("hubspot");

    const requests = writes().slice(before);
    const inputs = requests.reduce((n, r) => n + (JSON.parse(r.body).inputs as unknown[]).length, 0);
    expect(requests.every((r) => r.status === 200)).toBe(true);
    expect(hub.requests.filter((r) => r.status === 429)).toEqual([]);
    // ≤ 1.05 batch requests per 100 companies written (the coalescing window is HUBSPOT_COALESCE_MS).
    expect(requests.length / (inputs / 100)).toBeLessThanOrEqual(1.05);
    for (const [id, props] of expected) expect(hub.companies.get(id)!.properties).toMatchObject(props);
    const pending = await env.DB.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status != 'delivered'`).first<{ n: number }>();
    expect(pending!.n).toBe(0);
  });
});

describe("a 10-minute outage", () => {
  it("of HubSpot ends with every company written once after recovery", async () => {
    const targets = companyIds.slice(0, 250);
    hub.outage(now() + 10 * 60_000);
    const start = writes().length;
    // Scores outside the burst's 0..100 range, so no value is skipped as already synced.
    const actions: Action[] = targets.map((companyId, i) => ({
      id: `hubspot.properties:${companyId}`,
      customerId: null,
      payload: { type: "hubspot.properties", companyId, properties: { tenure_health_score: String(1000 + i) } },
    }));
    await env.DB.batch(insertActionStmts(env.DB, actions, now(), 0));
    for (let t = 0; t < 90 * 60_000; t += 15_000) {
      await flush("hubspot");
      clock.advance(15_000);
    }
    const ok = writes().slice(start).filter((r) => r.status === 200);
    const written = ok.flatMap((r) => (JSON.parse(r.body).inputs as { id: string }[]).map((i) => i.id));
    expect(new Set(written).size).toBe(targets.length);
    expect(written.length).toBe(targets.length);
    for (const [i, id] of targets.entries()) expect(hub.companies.get(id)!.properties.tenure_health_score).toBe(String(1000 + i));
    const left = await env.DB.prepare(`SELECT status, COUNT(*) AS n FROM outbox WHERE destination = 'hubspot' AND status != 'delivered' GROUP BY status`).all();
    expect(left.results).toEqual([]);
  });

  it("of Slack ends with every alert posted exactly once", async () => {
    slackFake.outage(now() + 10 * 60_000);
    const alerts: Action[] = Array.from({ length: 20 }, (_, i) => ({
      id: `slack.alert:entered_red:cu_${i}:1`,
      customerId: `cu_${i}`,
      payload: {
        type: "slack.alert",
        rule: "entered_red",
        customerId: `cu_${i}`,
        customerName: `Customer ${i}`,
        score: 40,
        band: "red",
        previousScore: 60,
        previousBand: "yellow",
        drivers: [{ factor: "billing", impact: -20, detail: "card declined twice" }],
        mrr: 10_000,
        renewalDate: null,
        summary: `Customer ${i} entered red`,
      },
    }));
    await env.DB.batch(insertActionStmts(env.DB, alerts, now()));
    for (let t = 0; t < 90 * 60_000; t += 10_000) {
      await flush("slack");
      clock.advance(10_000);
    }
    const posted = slackFake.requests.filter((r) => r.path.endsWith("/chat.postMessage") && r.status === 200);
    const texts = posted.map((r) => JSON.parse(r.body).text as string);
    expect(texts).toHaveLength(20);
    expect(new Set(texts).size).toBe(20);
    const left = await env.DB.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE destination = 'slack' AND status != 'delivered'`).first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});

