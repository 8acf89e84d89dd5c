import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Action } from "../../src/core/actions";
import { loadConfig } from "../../src/env";
import { insertActionStmts } from "../../src/store/outbox";
import { basesOf, createFakes, type Fakes } from "../fakes/msw";
import { ADMIN, drain } from "../support/drain";
import { fixture, fixturesOf } from "../support/fixtures";
import { jobHarness, runDaily } from "../support/jobs";
import { postWebhook, signedSources } from "./signing";

/**
 * One broad run of the whole app (every source's webhooks, forged ones, admin calls right and wrong,
 * the pipeline, every connector including its failures, backfill, the daily cron), watched from two
 * sides: every console line it writes, and every request it sends out.
 */
const BASE = "https://tenure.example.com";
const cfg = loadConfig(env);
const bases = basesOf(cfg);
const fakes: Fakes = createFakes(cfg);
const outbound: string[] = [];
const lines: string[] = [];

const server = setupServer(
  ...(Object.keys(fakes) as (keyof Fakes)[]).map((name) => http.all(`${bases[name]}/*`, ({ request }) => fakes[name].handle(request as unknown as Request))),
);
server.events.on("request:start", ({ request }) => void outbound.push(request.url));

/** Every configured secret value, straight from the test bindings. */
const secrets = Object.entries(env as unknown as Record<string, unknown>)
  .filter(([k, v]) => /(SECRET|TOKEN|KEY)$/.test(k) && typeof v === "string" && v.length > 0)
  .map(([k, v]) => [k, v as string] as const);

const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) =>
  SELF.fetch(`${BASE}${path}`, { method, headers: { ...headers, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

/** A Stripe fixture re-dated to now, optionally changed. */
function stripeEvent(name: string, patch: (ev: any) => void = () => {}): string {
  const ev = JSON.parse(fixture("stripe", name));
  ev.created = Math.floor(Date.now() / 1000) - 60;
  patch(ev);
  return JSON.stringify(ev);
}

/** Ids an attacker controls (they arrive in webhooks) placed where connectors build requests. */
const HOSTILE_IDS = ["cus_x/../../v1/charges", "@evil.example", "https://evil.example/steal", "cus_y?expand[]=data#frag", "..%2F..%2Fv1%2Faccounts"];

function hostileActions(companyId: string): Action[] {
  const credit = (id: string, i: number): Action => ({
    id: `stripe.credit:security:${i}`,
    customerId: null,
    payload: { type: "stripe.credit", stripeCustomerId: id, amount: -100, currency: "usd", description: "security scenario", metadata: {} },
  });
  return [
    ...HOSTILE_IDS.map(credit),
    { id: "hubspot.note:security:1", customerId: null, payload: { type: "hubspot.note", companyId: "../../../../evil", body: "x", timestamp: Date.now() } },
    { id: "hubspot.properties:security:1", customerId: null, payload: { type: "hubspot.properties", companyId, properties: { tenure_health_score: "42" } } },
    {
      id: "slack.alert:security:1",
      customerId: "cu_security",
      payload: {
        type: "slack.alert", rule: "entered_red", customerId: "cu_security", customerName: "https://evil.example/<@U1>", score: 10, band: "red",
        previousScore: 80, previousBand: "green", drivers: [], mrr: 1000, renewalDate: null, hubspotCompanyId: HOSTILE_IDS[1], summary: "security scenario",
      },
    },
  ];
}

async function runScenario(): Promise<void> {
  expect((await admin("POST", "/api/setup/hubspot")).status).toBeLessThan(300);
  const companyId = fakes.hubspot.addCompany({ name: "Acme Corp", domain: "acme.example" });

  for (const s of signedSources()) {
    for (const body of Object.values(fixturesOf(s.name))) await (await postWebhook(s, body, await s.headers(body))).arrayBuffer();
    const first = Object.values(fixturesOf(s.name))[0]!;
    await (await postWebhook(s, first, await s.headers(first, { secret: `${s.secret}-forged` }))).arrayBuffer();
    await (await postWebhook(s, "{}", await s.headers("{}"))).arrayBuffer();
  }
  const stripe = signedSources().find((s) => s.name === "stripe")!;
  const linked = [
    stripeEvent("customer.created", (ev) => (ev.data.object.metadata.hubspot_company_id = companyId)),
    stripeEvent("invoice.paid.first"),
    stripeEvent("invoice.payment_failed", (ev) => (ev.id = "evt_security_payment_failed")),
  ];
  for (const body of linked) await (await postWebhook(stripe, body, await stripe.headers(body))).arrayBuffer();

  for (const path of ["/api/customers", "/api/events", "/api/actions"]) {
    await (await admin("GET", path)).arrayBuffer();
    await (await admin("GET", path, undefined, { authorization: "Bearer wrong-token-0123456789" })).arrayBuffer();
  }
  await drain();

  // Every connector, with ids an attacker could have planted, and with the vendors failing.
  fakes.hubspot.failNext(1, 401);
  fakes.hubspot.failNext(1, 500);
  fakes.slack.failNext(1, 500);
  fakes.stripe.failNext(1, 401);
  await env.DB.batch(insertActionStmts(env.DB, hostileActions(companyId), Date.now()));
  await drain();

  for (const source of ["stripe", "hubspot"]) await (await admin("POST", "/api/backfill", { source })).arrayBuffer();
  // The daily cron and every page of the jobs it starts, run here rather than by the local queue in the background.
  await runDaily(jobHarness());
  await drain();
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  for (const m of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : JSON.stringify(a))).join(" "));
    });
  }
  await runScenario();
}, 120_000);

afterAll(() => {
  vi.restoreAllMocks();
  server.close();
});

describe("security scenario", () => {
  it("writes logs (the capture sees the app's own lines)", () => {
    expect(lines.some((l) => l.includes("webhook accepted"))).toBe(true);
    expect(lines.length).toBeGreaterThan(20);
  });

  it("never writes a configured secret to the logs", () => {
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    const text = lines.join("\n");
    const leaked = secrets.filter(([, v]) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1))).map(([k]) => k);
    expect(leaked).toEqual([]);
  });

  it("sends requests only to the configured vendor base URLs", () => {
    const allowed = Object.values(bases).map((b) => `${b}/`);
    const stray = outbound.filter((u) => !allowed.some((b) => u.startsWith(b)));
    expect(stray).toEqual([]);
    expect(outbound.map((u) => new URL(u).host).filter((h) => h.includes("evil"))).toEqual([]);
  });

  it("reached every vendor, so the check above is not vacuous", () => {
    for (const b of Object.values(bases)) expect(outbound.some((u) => u.startsWith(`${b}/`)), b).toBe(true);
  });
});
