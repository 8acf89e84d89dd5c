import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sources } from "../../webhooks/registry";
import { runSourceContract } from "../webhooks/contract";
import { editedFixture, fixture, fixturesOf } from "../support/fixtures";
import { FRONT_SECRET, signFront } from "./sign";

/** Front application webhooks, declared in plugins/front.json: no TypeScript of their own. */
const front = sources.front!;

runSourceContract({
  source: front,
  secret: FRONT_SECRET,
  fixtures: fixturesOf("front"),
  sign(body, { now }) {
    return signFront(this.secret, body, now);
  },
  timestamped: true,
  signatureHeaders: ["X-Front-Signature", "X-Front-Request-Timestamp"],
  // Front's validation request when an app webhook is saved: no event id at all.
  unknownTypeBody: JSON.stringify({ type: "sync", authorization: { id: "cmp_3f2a1" } }),
  malformedBody: editedFixture("front", "inbound_received", (j) => {
    j.payload.id = { nested: true };
  }),
  datedBody: (at) =>
    editedFixture("front", "inbound_received", (j) => {
      j.payload.emitted_at = at / 1000;
      j.payload.id = `evt_dated_${at}`;
    }),
});

function normalize(name: string) {
  const raw = fixture("front", name);
  return front.normalize(front.schema.parse(JSON.parse(raw)), raw, { now: 0 });
}

describe("front declaration", () => {
  it("maps an inbound message to an open ticket, linked by the recipient's email", () => {
    const [d] = normalize("inbound_received");
    expect(d!.events).toEqual([
      {
        id: "front:evt_5f1d7a3b",
        source: "front",
        type: "ticket.changed",
        desk: "front",
        ticketId: "cnv_1a2b3c4d",
        status: "open",
        title: "Exports time out for the finance team",
        openedAt: 1763982000512,
        occurredAt: 1763982000512,
        subject: { email: "nadia.ortiz@northwind.example", domain: "northwind.example" },
      },
    ]);
  });

  it("maps an archived conversation to a closed ticket", () => {
    const [d] = normalize("conversation_archived");
    expect(d!.events[0]).toMatchObject({ ticketId: "cnv_1a2b3c4d", status: "closed" });
  });

  it("refuses a mapped event without its id at the vendor's path", () => {
    const raw = editedFixture("front", "inbound_received", (j) => delete j.payload.id);
    const r = front.schema.safeParse(JSON.parse(raw));
    expect(r.error?.issues[0]).toMatchObject({ path: ["payload", "id"] });
  });
});

describe("Front's validation handshake (X-Front-Challenge)", () => {
  const BASE = "https://tenure.example.com";
  const sync = JSON.stringify({ type: "sync", authorization: { id: "cmp_handshake" } });
  const post = (headers: Record<string, string>, body = sync) =>
    SELF.fetch(`${BASE}/webhooks/front`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("echoes the challenge of a correctly signed request, which is recorded as ignored", async () => {
    const res = await post({ ...(await signFront(FRONT_SECRET, sync)), "X-Front-Challenge": "c7f3b1e2-random" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, duplicates: 0, ignored: 1, challenge: "c7f3b1e2-random" });
    // Saving the webhook again sends the same body: a duplicate, and still answered.
    const again = await post({ ...(await signFront(FRONT_SECRET, sync)), "X-Front-Challenge": "second" });
    expect(await again.json()).toMatchObject({ duplicates: 1, challenge: "second" });
  });

  it("echoes nothing to a request whose signature fails", async () => {
    const res = await post({ ...(await signFront("not_the_key", sync)), "X-Front-Challenge": "c7f3b1e2-random" });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("c7f3b1e2-random");
  });

  it("answers an ordinary event without a challenge key", async () => {
    const body = fixture("front", "conversation_archived");
    const res = await post(await signFront(FRONT_SECRET, body), body);
    expect(await res.json()).not.toHaveProperty("challenge");
  });
});
