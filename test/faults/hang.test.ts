import { describe, expect, it } from "vitest";
import type { Destination } from "../../src/core/actions";
import { LEASE_MS } from "../../src/outbox/deliver";
import { alert, T0, useOutbox, type OutboxHarness } from "../outbox/harness";

/*
 * A vendor that hangs past the outbox lease. Two workers: A makes the call that hangs; B comes once A's
 * lease has run out (the sweeper or a queue redelivery). However the hang ends, the effect happens once.
 */
const HOUR = 3_600_000;

/** Lets pending I/O run (in real time) without waiting on a call that may never end. */
const breathe = (p: Promise<unknown>) => Promise.race([p, new Promise((r) => setTimeout(r, 200))]);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

/** Worker A starts delivering; once its call hangs, the clock runs past A's lease in 5-second steps; worker B delivers. */
async function hangPastTheLease(h: OutboxHarness, destination: Destination, id: string, hung: () => number, whileHung = () => {}): Promise<{ a: Promise<number> }> {
  const a = h.deliver(destination, [id]);
  await until(() => hung() === 1);
  whileHung();
  for (let s = 0; s <= LEASE_MS / 5_000; s++) {
    h.clock.advance(5_000);
    await breathe(a);
  }
  await h.deliver(destination, [id]);
  // Wrapped: an async function returning the promise itself would wait for it.
  return { a };
}

describe("a vendor that hangs past the lease", () => {
  const h = useOutbox();

  it("HubSpot acts on a note but never answers: one note", async () => {
    const { fakes, insert, row } = h();
    const companyId = fakes.hubspot.addCompany();
    await insert([{ id: "hubspot.note:hang", customerId: null, payload: { type: "hubspot.note", companyId, body: "Payment failed twice", timestamp: T0 } }]);
    fakes.hubspot.stall.hangNext(1, "after");
    const { a } = await hangPastTheLease(h(), "hubspot", "hubspot.note:hang", () => fakes.hubspot.stall.held);
    fakes.hubspot.stall.release();
    await a;
    expect(fakes.hubspot.notes).toHaveLength(1);
    expect((await row("hubspot.note:hang")).status).toBe("delivered");
  });

  it("HubSpot hangs on a Slack alert's owner lookup: one post", async () => {
    const { fakes, insert, row, clock } = h();
    fakes.hubspot.owners.set("80245561", { email: "ana@example.com" });
    await insert([alert("slack.alert:hang", { hubspotOwnerId: "80245561" })]);
    fakes.hubspot.stall.hangNext(1, "before");
    const { a } = await hangPastTheLease(h(), "slack", "slack.alert:hang", () => fakes.hubspot.stall.held);
    // The lookup answers a little later (past Slack's one-post-a-second limit), and A carries on.
    clock.advance(2_000);
    fakes.hubspot.stall.release();
    await a;
    expect(fakes.slack.messages).toHaveLength(1);
    expect((await row("slack.alert:hang")).status).toBe("delivered");
  });

  it("Stripe credits but never answers, then is down for 30 hours: one credit", async () => {
    const { fakes, insert, row, clock, deliver } = h();
    const customer = fakes.stripe.state.addCustomer();
    const id = "referral.credit:hang";
    await insert([{ id, customerId: null, payload: { type: "stripe.credit", stripeCustomerId: customer.id, amount: -1_000, currency: "usd", description: "Referral credit", metadata: {} } }]);
    fakes.stripe.stall.hangNext(1, "after");
    const { a } = await hangPastTheLease(h(), "stripe", id, () => fakes.stripe.stall.held, () => fakes.stripe.outage(T0 + 30 * HOUR));
    // Every retry, at its time, until one gets through after the outage.
    for (let i = 0; i < 20 && (await row(id)).status === "pending"; i++) {
      clock.advance(Math.max(1_000, (await row(id)).next_attempt_at - clock.t));
      await deliver("stripe", [id]);
    }
    fakes.stripe.stall.release();
    await a;
    expect(clock.t).toBeGreaterThan(T0 + 30 * HOUR);
    expect(fakes.stripe.state.balanceTransactions).toHaveLength(1);
    expect((await row(id)).status).toBe("delivered");
  });
});
