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
