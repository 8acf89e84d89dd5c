import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { drain } from "../support/drain";
import { fixture } from "../support/fixtures";
import { FRONT_SECRET, PADDLE_SECRET, signFront, signPaddle } from "./sign";

// Actions raised on the way (HubSpot writes, Slack alerts) are delivered to the vendor fakes.
const cfg = loadConfig(env);
const server = startFakeServer(createFakes(cfg), basesOf(cfg));
afterAll(() => server.close());

const BASE = "https://tenure.example.com";
const COPIES = 5;

async function post(source: "paddle" | "front", body: string): Promise<{ received: number; duplicates: number }> {
  const headers = source === "paddle" ? await signPaddle(PADDLE_SECRET, body) : await signFront(FRONT_SECRET, body);
  const res = await SELF.fetch(`${BASE}/webhooks/${source}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

const rows = async (source: string) =>
  (await env.DB.prepare(`SELECT id, status FROM inbox_events WHERE source = ? ORDER BY id`).bind(source).all<{ id: string; status: string }>()).results;

describe("declared sources end to end: route, inbox, queue, pipeline, D1", () => {
  it("applies each Paddle and Front delivery once under 5x redelivery, on one customer", async () => {
    const deliveries: ["paddle" | "front", string][] = [
      ["paddle", fixture("paddle", "customer.created")],
      ["paddle", fixture("paddle", "subscription.created")],
      ["paddle", fixture("paddle", "transaction.completed")],
      ["front", fixture("front", "inbound_received")],
    ];
    let duplicates = 0;
    for (let copy = 0; copy < COPIES; copy++) {
      for (const [source, body] of deliveries) duplicates += (await post(source, body)).duplicates;
      if (copy === 1) await drain(); // some copies arrive after the first was applied
    }
    await drain();
    expect(duplicates).toBe(deliveries.length * (COPIES - 1));

    expect(await rows("paddle")).toEqual([
      { id: "paddle:evt_01jd8q2r8v0x2z4b6d8f0h2k4m", status: "processed" },
      { id: "paddle:evt_01jd8q3k7m2x9v4n6b5c0z1y2w", status: "processed" },
      { id: "paddle:evt_01jd8q3m1p3r5t7v9x1z3b5d7f", status: "processed" },
    ]);
    expect(await rows("front")).toEqual([{ id: "front:evt_5f1d7a3b", status: "processed" }]);

    const customers = (await env.DB.prepare(`SELECT id, domain, mrr, currency FROM customers`).all<{ id: string; domain: string; mrr: number; currency: string }>()).results;
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ domain: "northwind.example", mrr: 36000 });
    const links = (await env.DB.prepare(`SELECT DISTINCT customer_id FROM inbox_events WHERE source IN ('paddle', 'front')`).all<{ customer_id: string | null }>()).results;
    expect(links).toEqual([{ customer_id: customers[0]!.id }]);
  });
});
