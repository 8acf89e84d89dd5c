import { describe, expect, it } from "vitest";
import { propertyDefinitions } from "../../connectors/hubspot";
import type { Action } from "../../src/core/actions";
import { LEASE_MS } from "../../src/outbox/deliver";
import { CALL_TIMEOUT_MS, destinationOfUrl, MAX_WAIT_IN_PLACE_MS } from "../../src/outbox/vendor-fetch";
import { stallOf } from "../fakes/msw";
import { alert, T0, useOutbox } from "./harness";

const settled = (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);

/** Polls (in real time) until the condition holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describe("vendor fetch: one gate token per request", () => {
  const h = useOutbox();

  it("picks the destination by the URL's base", () => {
    const { cfg } = h();
    expect(destinationOfUrl(cfg, `${cfg.HUBSPOT_API_BASE}/crm/v3/owners/1`)).toBe("hubspot");
    expect(destinationOfUrl(cfg, `${cfg.SLACK_API_BASE}/chat.postMessage`)).toBe("slack");
    expect(destinationOfUrl(cfg, `${cfg.STRIPE_API_BASE}:443/v1/customers`)).toBe("stripe");
    expect(destinationOfUrl(cfg, "https://example.com/x")).toBeNull();
  });

  it("a HubSpot delivery that splits a batch and writes notes takes a token for every request", async () => {
    const { fakes, insert, deliver, tokens } = h();
    fakes.hubspot.defineProperties(propertyDefinitions);
    const companies = Array.from({ length: 8 }, () => fakes.hubspot.addCompany());
    const actions: Action[] = companies.map((companyId, i) => ({
      id: `hubspot.properties:${companyId}`, customerId: null,
      // One value HubSpot refuses: the batch is halved until it is isolated.
      payload: { type: "hubspot.properties", companyId, properties: { tenure_health_band: i === 5 ? "purple" : "green" } },
    }));
    for (const [i, companyId] of companies.slice(0, 3).entries()) {
      actions.push({ id: `hubspot.note:${companyId}`, customerId: null, payload: { type: "hubspot.note", companyId, body: `note ${i}`, timestamp: T0 } });
    }
    await insert(actions);
    await deliver("hubspot");
    const batches = fakes.hubspot.requests.filter((r) => r.path.endsWith("/batch/update"));
    expect(batches.length).toBeGreaterThan(1);
    expect(fakes.hubspot.notes).toHaveLength(3);
    expect(tokens.hubspot).toBe(fakes.hubspot.requests.length);
    expect(tokens.hubspot).toBe(batches.length + 3);
  });

  it("a Slack alert's owner lookup takes a HubSpot token, its post a Slack token (Slack's tiered lookup does not)", async () => {
    const { fakes, insert, deliver, tokens } = h();
    fakes.hubspot.owners.set("80245561", { email: "ana@example.com" });
    fakes.slack.users.set("ana@example.com", "U0ANA");
    await insert([alert("owned", { hubspotOwnerId: "80245561" })]);
    await deliver("slack");
    expect(fakes.slack.messages).toHaveLength(1);
    // Only the two destinations called took a token (every other destination, Stripe included, none).
    expect(Object.fromEntries(Object.entries(tokens).filter(([, n]) => n > 0))).toEqual({ hubspot: 1, slack: 1 });
    expect(fakes.slack.requests.map((r) => r.path.split("?")[0]).sort()).toEqual(["/api/chat.postMessage", "/api/users.lookupByEmail"]);
    expect(fakes.hubspot.requests.map((r) => r.path)).toEqual(["/crm/v3/owners/80245561"]);
  });

  it("mid-delivery, waits out a pause the lease can afford, then sends the rest", async () => {
    const { fakes, insert, deliver, setGate, clock, row } = h();
    fakes.hubspot.owners.set("80245561", { email: "ana@example.com" });
    let asked = 0;
    // The owner lookup goes at once; the Slack call after it is told to wait 1.5 s.
    setGate(() => (++asked === 2 ? 1_500 : 0));
    await insert([alert("short-wait", { hubspotOwnerId: "80245561" })]);
    await deliver("slack");
    expect(clock.t).toBe(T0 + 1_500);
    expect(fakes.slack.messages).toHaveLength(1);
    expect((await row("short-wait")).status).toBe("delivered");
  });

  it("gives a delivery whose first call must wait back to the queue at once", async () => {
    const { fakes, insert, deliver, setGate, clock, row } = h();
    setGate(() => 800);
    await insert([alert("first-wait")]);
    await deliver("slack");
    expect(clock.t).toBe(T0);
    expect(fakes.slack.requests).toHaveLength(0);
    expect(await row("first-wait")).toMatchObject({ status: "pending", attempts: 0, next_attempt_at: T0 + 800 });
  });

  it("mid-delivery, gives the rest back when the pause is long", async () => {
    const { fakes, insert, deliver, setGate, clock, row } = h();
    fakes.hubspot.owners.set("80245561", { email: "ana@example.com" });
    let asked = 0;
    setGate(() => (++asked === 2 ? MAX_WAIT_IN_PLACE_MS + 1 : 0));
    await insert([alert("long-mid-wait", { hubspotOwnerId: "80245561" })]);
    await deliver("slack");
    expect(clock.t).toBe(T0);
    expect(fakes.slack.messages).toHaveLength(0);
    expect(fakes.slack.requests.filter((r) => r.path.includes("chat."))).toHaveLength(0);
    expect(await row("long-mid-wait")).toMatchObject({ status: "pending", attempts: 0, next_attempt_at: T0 + MAX_WAIT_IN_PLACE_MS + 1 });
  });

  it("gives the action back, without using an attempt, when the pause outlasts the lease", async () => {
    const { fakes, insert, deliver, setGate, row } = h();
    setGate(() => 120_000);
    await insert([alert("long-wait")]);
    await deliver("slack");
    expect(fakes.slack.requests).toHaveLength(0);
    expect(await row("long-wait")).toMatchObject({ status: "pending", attempts: 0, unconfirmed: 0, next_attempt_at: T0 + 120_000, lease_until: null });
  });
});

describe("vendor fetch: timeouts inside the lease", () => {
  const h = useOutbox();

  it("gives up a hung call before the lease ends and marks the action unconfirmed", async () => {
    const { fakes, insert, deliver, clock, row } = h();
    await insert([alert("hung")]);
    stallOf(fakes.slack).hangNext(1, "after");
    const delivery = deliver("slack");
    await until(() => stallOf(fakes.slack).held === 1);
    clock.advance(CALL_TIMEOUT_MS);
    expect(await settled(delivery)).toBe(true);
    expect(clock.t).toBeLessThan(T0 + LEASE_MS);
    expect(await row("hung")).toMatchObject({ status: "pending", attempts: 1, unconfirmed: 1, lease_until: null });
    // The post landed although its answer never came: the next attempt finds it instead of posting again.
    stallOf(fakes.slack).release();
    clock.advance(60_000);
    await deliver("slack");
    expect((await row("hung")).status).toBe("delivered");
    expect(fakes.slack.messages).toHaveLength(1);
  });
});
