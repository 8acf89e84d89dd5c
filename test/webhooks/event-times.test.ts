import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { editedFixture, fixture, iso, seconds } from "../support/fixtures";
import { signSegment } from "../support/sign/segment";
import { signStripe } from "../support/sign/stripe";
import { PUBLIC_URL } from "./contract";

/** Times at ingest: implausible ones are refused with 400 naming the field, and nothing of the request is stored. */

const HOUR = 3_600_000;
const SEGMENT_SECRET = "segment_secret";

type ErrorBody = { error: { code: string; message: string; path: string } };

async function inboxCount(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM inbox_events").first<{ n: number }>())!.n;
}

const segmentTrack = (at: string) =>
  editedFixture("segment", "track", (j) => {
    j.timestamp = at;
    j.messageId = `times-${at}`;
  });

async function postSegment(body: string, env_?: Record<string, unknown>): Promise<Response> {
  const req = new Request(`${PUBLIC_URL}/webhooks/segment`, { method: "POST", body, headers: { "content-type": "application/json", ...(await signSegment(SEGMENT_SECRET, body)) } });
  if (!env_) return SELF.fetch(req);
  const ctx = createExecutionContext();
  const res = await worker.fetch(req, { ...env, ...env_ } as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function postStripe(body: string): Promise<Response> {
  return SELF.fetch(`${PUBLIC_URL}/webhooks/stripe`, { method: "POST", body, headers: { "content-type": "application/json", ...(await signStripe(body)) } });
}

/** A customer.subscription.updated of now whose item's current_period_end (seconds) is `periodEnd`. */
const subscriptionUpdated = (id: string, periodEnd: number | string) => {
  const body = editedFixture("stripe", "customer.subscription.updated", (j) => {
    j.id = id;
    j.created = seconds(Date.now());
    j.data.object.items.data[0].current_period_end = "PERIOD_END";
  });
  return body.replace('"PERIOD_END"', String(periodEnd));
};

async function expectRefused(res: Response, path: string, mentions: string): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(400);
  const { error } = await res.json<ErrorBody>();
  expect(error.code).toBe("time_out_of_range");
  expect(error.path).toBe(path);
  expect(error.message).toContain(path);
  expect(error.message).toContain(mentions);
}

describe("event times at ingest", () => {
  it("a signed Segment track dated 9999-12-31 is refused naming occurredAt; the inbox is unchanged", async () => {
    const before = await inboxCount();
    await expectRefused(await postSegment(segmentTrack("9999-12-31T00:00:00.000Z")), "occurredAt", "9999-12-31T00:00:00.000Z");
    expect(await inboxCount()).toBe(before);
  });

  it("a Segment track dated 3 days ahead is refused; 2 hours ahead is accepted and stored", async () => {
    const before = await inboxCount();
    const ahead = iso(Date.now() + 72 * HOUR);
    await expectRefused(await postSegment(segmentTrack(ahead)), "occurredAt", "more than 24 hours after the event was received");
    expect(await inboxCount()).toBe(before);

    const res = await postSegment(segmentTrack(iso(Date.now() + 2 * HOUR)));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await inboxCount()).toBe(before + 1);
  });

  it("MAX_EVENT_FUTURE_HOURS narrows the tolerance", async () => {
    const body = segmentTrack(iso(Date.now() + 2 * HOUR + 1));
    await expectRefused(await postSegment(body, { MAX_EVENT_FUTURE_HOURS: "1" }), "occurredAt", "more than 1 hour after the event was received");
  });

  it("an event dated 1999 is refused", async () => {
    const before = await inboxCount();
    await expectRefused(await postSegment(segmentTrack("1999-12-31T23:59:59.000Z")), "occurredAt", "1999-12-31T23:59:59.000Z");
    const stripe = editedFixture("stripe", "invoice.paid.first", (j) => {
      j.id = "evt_times_1999";
      j.created = seconds(Date.UTC(1999, 5, 1));
    });
    await expectRefused(await postStripe(stripe), "occurredAt", "1999-06-01");
    expect(await inboxCount()).toBe(before);
  });

  it("a Stripe current_period_end of 8700000000000 seconds is refused at its normalized path, nothing stored", async () => {
    const before = await inboxCount();
    // 8.7e15 ms is past the last time a Date can hold (8.64e15), so the message shows the raw value.
    await expectRefused(await postStripe(subscriptionUpdated("evt_times_period_end", 8700000000000)), "currentPeriodEnd", "8700000000000000");
    expect(await inboxCount()).toBe(before);
  });

  it("a period end past 2100 is refused though period ends may lie in the future; one before 2100 is accepted", async () => {
    await expectRefused(await postStripe(subscriptionUpdated("evt_times_2100", seconds(Date.UTC(2100, 0, 1)))), "currentPeriodEnd", "2100-01-01T00:00:00.000Z");
    const res = await postStripe(subscriptionUpdated("evt_times_2099", seconds(Date.UTC(2099, 0, 1))));
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("a non-finite time (1e400 in the JSON) is a 400, not a NaN or Infinity stored", async () => {
    const before = await inboxCount();
    const res = await postStripe(subscriptionUpdated("evt_times_infinite", "1e400"));
    expect(res.status).toBe(400);
    expect((await res.json<ErrorBody>()).error.path).toMatch(/current_period_end/);
    expect(await inboxCount()).toBe(before);
  });

  it("the unchanged fixture is still accepted", async () => {
    const raw = fixture("segment", "identify");
    expect((await postSegment(raw)).status).toBe(200);
  });
});
