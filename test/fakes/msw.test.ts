import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { basesOf, createFakes, fakeFetch, startFakeServer } from "./msw";

describe("fake glue", () => {
  const cfg = loadConfig(env);
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it("routes each base URL to its fake and refuses any other host", async () => {
    const fakes = createFakes(cfg);
    const server = startFakeServer(fakes, basesOf(cfg));
    close = () => server.close();
    const res = await fetch(`${cfg.SLACK_API_BASE}/chat.postMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${cfg.SLACK_BOT_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ channel: cfg.SLACK_ALERT_CHANNEL, text: "hello" }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: cfg.SLACK_ALERT_CHANNEL });
    expect(fakes.slack.messages).toHaveLength(1);
    await expect(fetch("https://api.stripe.com/v1/customers")).rejects.toThrow();
  });

  it("fakeFetch serves the fakes without msw, ignoring an explicit default port", async () => {
    const fakes = createFakes(cfg);
    const f = fakeFetch(fakes, basesOf(cfg));
    const cus = fakes.stripe.state.addCustomer();
    const res = await f(`${cfg.STRIPE_API_BASE}:443/v1/customers/${cus.id}`, {
      headers: { authorization: `Bearer ${cfg.STRIPE_SECRET_KEY}` },
    });
    expect(await res.json()).toMatchObject({ id: cus.id, object: "customer" });
    await expect(f("https://elsewhere.example/")).rejects.toThrow(/no fake serves/);
  });
});
