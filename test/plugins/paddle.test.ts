import { describe, expect, it } from "vitest";
import { sources } from "../../webhooks/registry";
import { runSourceContract } from "../webhooks/contract";
import { editedFixture, fixture, fixturesOf } from "../support/fixtures";
import { PADDLE_SECRET, signPaddle } from "./sign";

/** Paddle Billing, declared in plugins/paddle.json: no TypeScript of its own. */
const paddle = sources.paddle!;

runSourceContract({
  source: paddle,
  secret: PADDLE_SECRET,
  fixtures: fixturesOf("paddle"),
  sign(body, { now }) {
    return signPaddle(this.secret, body, now);
  },
  timestamped: true,
  signatureHeaders: ["Paddle-Signature"],
  unknownTypeBody: JSON.stringify({
    event_id: "evt_01jd9a0b1c2d3e4f5g6h7j8k9m",
    event_type: "payout.paid",
    occurred_at: "2026-11-21T09:00:00.000Z",
    notification_id: "ntf_01jd9a0b3d5f7h9k1m3p5r7t9v",
    data: { id: "pay_01jd9a0a", amount: "120000", status: "paid", currency_code: "USD" },
  }),
  malformedBody: editedFixture("paddle", "transaction.completed", (j) => {
    j.data.details.totals.grand_total = "thirty-six dollars";
  }),
  datedBody: (at) =>
    editedFixture("paddle", "subscription.created", (j) => {
      j.occurred_at = new Date(at).toISOString();
      j.event_id = `evt_dated_${at}`;
    }),
});

function normalize(name: string) {
  const raw = fixture("paddle", name);
  return paddle.normalize(paddle.schema.parse(JSON.parse(raw)), raw, { now: 0 });
}

describe("paddle declaration", () => {
  it("maps a created subscription to subscription.changed, linked by custom_data.account_id", () => {
    const [d] = normalize("subscription.created");
    expect(d!.dedupeKey).toBe("evt_01jd8q3k7m2x9v4n6b5c0z1y2w");
    expect(d!.events).toEqual([
      expect.objectContaining({
        id: "paddle:evt_01jd8q3k7m2x9v4n6b5c0z1y2w",
        source: "paddle",
        type: "subscription.changed",
        subscriptionId: "sub_01jd8q3hz4k6m8p0r2t4v6x8z0",
        status: "active",
        mrr: 36000,
        currency: "usd",
        quantity: 12,
        cancelAtPeriodEnd: false,
        occurredAt: Date.parse("2026-11-20T10:15:32.481223Z"),
        currentPeriodEnd: Date.parse("2026-12-20T10:15:30.000Z"),
        subject: { accountId: "acct_northwind" },
      }),
    ]);
  });

  it("normalises an annual price to monthly MRR and reads a scheduled cancellation", () => {
    const [d] = normalize("subscription.updated.cancel-scheduled");
    expect(d!.events[0]).toMatchObject({ mrr: 25000, cancelAtPeriodEnd: true, cancelAt: Date.parse("2027-11-28T16:42:06.000Z") });
  });

  it("maps a completed transaction to invoice.paid with its grand total in minor units", () => {
    const [d] = normalize("transaction.completed");
    expect(d!.events[0]).toMatchObject({ type: "invoice.paid", invoiceId: "inv_01jd8q3m0n2q4s6u8w0y2a4c6e", amountPaid: 36000, currency: "usd", reason: "other", subscriptionId: "sub_01jd8q3hz4k6m8p0r2t4v6x8z0" });
  });

  it("links a customer by its email domain and custom_data.account_id", () => {
    const [d] = normalize("customer.created");
    expect(d!.events[0]).toMatchObject({
      type: "customer.profile",
      email: "nadia.ortiz@northwind.example",
      domain: "northwind.example",
      subject: { accountId: "acct_northwind", email: "nadia.ortiz@northwind.example", domain: "northwind.example" },
    });
  });

  it("records a declared-ignored type as ignored, with its reason", () => {
    const raw = editedFixture("paddle", "transaction.completed", (j) => (j.event_type = "transaction.paid"));
    const [d] = paddle.normalize(paddle.schema.parse(JSON.parse(raw)), raw, { now: 0 });
    expect(d).toMatchObject({ events: [], ignoredReason: "transaction.paid is declared as ignored" });
  });

  it("accepts any of several h1 signatures during a secret rotation, and refuses when none matches", async () => {
    const body = fixture("paddle", "subscription.created");
    const now = Date.now();
    const rotating = await signPaddle("pdl_ntfset_old_secret", body, now, [PADDLE_SECRET]);
    const input = (headers: Record<string, string>) => ({ rawBody: body, headers: new Headers(headers), method: "POST", url: "", now, secret: PADDLE_SECRET });
    await expect(paddle.verify(input(rotating))).resolves.toBeUndefined();
    await expect(paddle.verify(input(await signPaddle("pdl_ntfset_old_secret", body, now, ["another"])))).rejects.toMatchObject({ reason: "bad_signature" });
  });
});
