import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/routes/webhooks";
import { signStripe } from "../support/sign/stripe";

const BASE = "https://tenure.example.com";
const inboxCount = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM inbox_events`).first<{ n: number }>())!.n;

/** A body sent in chunks without a Content-Length, so only counting what arrives can refuse it. */
function streamed(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  let sent = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (sent >= bytes) return ctrl.close();
      ctrl.enqueue(chunk);
      sent += chunk.length;
    },
  });
}

describe("request bodies are capped before they are buffered", () => {
  it("a signed webhook over the cap gets 413 JSON and stores nothing", async () => {
    const body = JSON.stringify({ id: "evt_big", object: "event", type: "invoice.paid", padding: "x".repeat(MAX_BODY_BYTES) });
    const res = await SELF.fetch(`${BASE}/webhooks/stripe`, { method: "POST", body, headers: await signStripe(body) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(await inboxCount()).toBe(0);
  });

  it("a streamed body without Content-Length is refused once it passes the cap", async () => {
    const res = await SELF.fetch(`${BASE}/webhooks/stripe`, {
      method: "POST",
      body: streamed(MAX_BODY_BYTES + 64 * 1024),
      headers: { "stripe-signature": "t=1,v1=00" },
      // @ts-expect-error workerd's RequestInit takes duplex for streamed bodies
      duplex: "half",
    });
    expect(res.status).toBe(413);
    expect(await inboxCount()).toBe(0);
  });

  it("Slack's endpoint has the same cap", async () => {
    const res = await SELF.fetch(`${BASE}/slack/events`, { method: "POST", body: "payload=" + "x".repeat(MAX_BODY_BYTES + 1), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(413);
  });
});
