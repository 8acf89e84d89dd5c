import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { drain } from "../support/drain";
import { fixture } from "../support/fixtures";
import { postWebhook, signedSources } from "../security/signing";

/**
 * Cases the fuzzer found, kept as plain examples so they run every time. Each is a correctly signed,
 * schema-valid delivery: the route must either refuse it or store events the queue consumer can read.
 */
const source = (name: string) => signedSources().find((s) => s.name === name)!;

async function storedEvents(requestId: string | null): Promise<unknown[]> {
  const { results } = await env.DB.prepare("SELECT normalized FROM inbox_events WHERE request_id = ?").bind(requestId).all<{ normalized: string }>();
  return results.flatMap((r) => JSON.parse(r.normalized) as unknown[]);
}

describe("fuzzer regressions", () => {
  it("segment: a group call with seats beyond 2^53 is refused or stored as a valid event", async () => {
    const s = source("segment");
    // 9007199254740993 parses to 2^53: an integer, but not a safe one.
    const body = fixture("segment", "group").replace('"seats": 40', '"seats": 9007199254740993');
    const res = await postWebhook(s, body, await s.headers(body));
    const stored = await storedEvents(res.headers.get("x-request-id"));
    if (res.status < 300) for (const ev of stored) expect(normalizedEventSchema.safeParse(ev).error?.issues ?? []).toEqual([]);
    else expect(stored).toEqual([]);
  });

  it("intercom: a conversation created_at beyond 2^53 ms is refused or stored as a valid event", async () => {
    const s = source("intercom");
    const ev = JSON.parse(fixture("intercom", "conversation.user.created"));
    ev.data.item.created_at = 9007199254740.992; // seconds: * 1000 lands on 2^53 ms
    const body = JSON.stringify(ev);
    const res = await postWebhook(s, body, await s.headers(body));
    const stored = await storedEvents(res.headers.get("x-request-id"));
    if (res.status < 300) for (const e of stored) expect(normalizedEventSchema.safeParse(e).error?.issues ?? []).toEqual([]);
    else expect(stored).toEqual([]);
  });

  it("one unreadable stored event does not hold back the other events of its queue batch", async () => {
    const seg = source("segment");
    const poison = fixture("segment", "group").replace('"seats": 40', '"seats": 9007199254740993').replace("node-5c1f", "node-9c1f");
    const track = fixture("segment", "track");
    for (const body of [poison, track]) await (await postWebhook(seg, body, await seg.headers(body))).arrayBuffer();
    await drain(3);
    const { results } = await env.DB.prepare("SELECT vendor_type, status FROM inbox_events WHERE source = 'segment' AND vendor_type = 'track'").all<{ status: string }>();
    expect(results.map((r) => r.status)).not.toContain("received");
  });
});
