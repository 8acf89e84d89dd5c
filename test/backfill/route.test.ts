import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { ADMIN } from "../support/drain";
import { seedStripe } from "./seed";

const cfg = loadConfig(env);
const fakes = createFakes(cfg, { stripe: { requestsPerSecond: 1000 } });
const server = startFakeServer(fakes, basesOf(cfg));
afterAll(() => server.close());
const seeded = seedStripe(fakes.stripe, { customers: 150, nowS: Math.floor(Date.now() / 1000) });
const total = seeded.customers.length + seeded.subscriptions.length + seeded.invoices.length + seeded.refundedCharges.length + seeded.disputes.length;
/** A charge refunded twice is listed under both refunds and imported once. */
const listed = total - seeded.refundedCharges.length + seeded.refunds.length;

const BASE = "https://tenure.example.com/api/backfill";
const post = (body: unknown, headers: Record<string, string> = ADMIN) =>
  SELF.fetch(BASE, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });

async function progressOf(source: string): Promise<any> {
  const res = await SELF.fetch(BASE, { headers: ADMIN });
  expect(res.status).toBe(200);
  const { runs } = await res.json<{ runs: any[] }>();
  return runs.find((r) => r.source === source);
}

describe("POST/GET /api/backfill", () => {
  it("needs the admin token and a known source", async () => {
    expect((await post({ source: "stripe" }, {})).status).toBe(401);
    const bad = await post({ source: "freshdesk" });
    expect(bad.status).toBe(400);
    expect(await progressOf("hubspot")).toMatchObject({ status: "idle", read: 0 });
  });

  it("answers with a vendor's refusal (502, not retryable) and keeps the run resumable", async () => {
    fakes.stripe.failNext(1, 401);
    const res = await post({ source: "stripe" });
    expect(res.status).toBe(502);
    const { error } = await res.json<{ error: any }>();
    expect(error).toMatchObject({ code: "vendor_error", retryable: false, progress: { status: "failed", read: 0 } });
    expect(error.message).toMatch(/Stripe 401 .*POST again to resume/);
  });

  it("imports the first page before answering, then keeps going until done", async () => {
    const res = await post({ source: "stripe" });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ source: "stripe", status: "running", read: 100 });
    let p: any;
    for (let i = 0; i < 100; i++) {
      p = await progressOf("stripe");
      if (p.status !== "running") break;
      // What `npm run backfill` does when the background work stops short: POST again to resume.
      if (!p.busy) await post({ source: "stripe" });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(p).toMatchObject({ status: "done", read: listed, imported: total, error: null });
    const { n } = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events WHERE id LIKE 'stripe:backfill:%'`).first<{ n: number }>())!;
    expect(n).toBe(total);
  });

  it("a new POST after a finished run reads everything again and imports nothing", async () => {
    let res = await post({ source: "stripe" });
    for (let i = 0; i < 50 && res.status === 202; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const p = await progressOf("stripe");
      if (p.status === "done") break;
      if (!p.busy) res = await post({ source: "stripe" });
    }
    expect(await progressOf("stripe")).toMatchObject({ status: "done", read: listed, imported: 0 });
  });
});
