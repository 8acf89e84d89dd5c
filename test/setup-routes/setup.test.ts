import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { ADMIN } from "../support/drain";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
let server: ReturnType<typeof startFakeServer>;
beforeAll(() => void (server = startFakeServer(fakes, basesOf(cfg))));
afterAll(() => server.close());

const post = (path: string) => SELF.fetch(`https://tenure.example.com${path}`, { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: "{}" });

describe("setup endpoints", () => {
  it("POST /api/setup/hubspot creates the property group and properties once", async () => {
    const first = await post("/api/setup/hubspot");
    expect(first.status).toBe(200);
    const body = await first.json<{ results: { status: string }[] }>();
    expect(body.results.filter((r) => r.status === "created").length).toBeGreaterThan(10);
    const again = await (await post("/api/setup/hubspot")).json<{ results: { status: string }[] }>();
    expect(again.results.every((r) => r.status === "exists")).toBe(true);
  });

  it("POST /api/setup/stripe creates the loyalty coupons once and leaves existing ones alone", async () => {
    const first = await (await post("/api/setup/stripe")).json<{ ok: boolean; results: { id: string; status: string }[] }>();
    expect(first.ok).toBe(true);
    expect(first.results).toEqual([
      { id: "tenure-referral-friend", status: "created" },
      { id: "tenure-renewal-offer", status: "created" },
    ]);
    expect(fakes.stripe.state.coupons.get("tenure-referral-friend")).toMatchObject({ percent_off: 20, duration: "once" });
    const again = await (await post("/api/setup/stripe")).json<{ results: { status: string }[] }>();
    expect(again.results.map((r) => r.status)).toEqual(["exists", "exists"]);
  });

  it("without the admin token nothing is set up", async () => {
    const res = await SELF.fetch("https://tenure.example.com/api/setup/stripe", { method: "POST" });
    expect(res.status).toBe(401);
  });
});
