import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { normalizedEventSchema } from "../../src/core/events";
import { FRESHDESK_TOKEN_HEADER, freshdeskSource } from "../../webhooks/freshdesk";
import { fixture, fixturesOf, editedFixture, iso } from "../support/fixtures";
import { signFreshdesk } from "../support/sign/freshdesk";
import { PUBLIC_URL, runSourceContract } from "./contract";

const TOKEN = "freshdesk_token_0123456789";

runSourceContract({
  source: freshdeskSource,
  secret: TOKEN,
  fixtures: fixturesOf("freshdesk"),
  sign() {
    return signFreshdesk(this.secret);
  },
  timestamped: false,
  signsBody: false,
  signatureHeaders: [FRESHDESK_TOKEN_HEADER],
  // A custom status (Freshdesk numbers them from 6) and nothing else Tenure reads.
  unknownTypeBody: JSON.stringify({ freshdesk_webhook: { ticket_id: "4999", ticket_status: "Waiting on Third Party", triggered_event: "{status:{from:Open,to:Waiting on Third Party}}" } }),
  // The placeholder was typed wrong, so Freshdesk left it unrendered.
  malformedBody: JSON.stringify({ freshdesk_webhook: { ticket_id: "{{ticket.ticket_id}}", ticket_status: "Open" } }),
  datedBody: (at) => editedFixture("freshdesk", "ticket.created", (j) => { j.freshdesk_webhook.ticket_updated_at = iso(at); }),
});

function normalize(name: string, now = 1_764_000_000_000) {
  const raw = fixture("freshdesk", name);
  const deliveries = freshdeskSource.normalize(freshdeskSource.schema.parse(JSON.parse(raw)), raw, { now });
  for (const d of deliveries) for (const e of d.events) normalizedEventSchema.parse(e);
  return deliveries;
}

const verify = (token: string | undefined) =>
  freshdeskSource.verify({ rawBody: "{}", headers: new Headers(token === undefined ? {} : { [FRESHDESK_TOKEN_HEADER]: token }), method: "POST", url: "", now: 0, secret: TOKEN });

describe("freshdesk token", () => {
  it("accepts the configured token and rejects a missing, shorter or longer one", async () => {
    await expect(verify(TOKEN)).resolves.toBeUndefined();
    await expect(verify(undefined)).rejects.toMatchObject({ reason: "missing_signature" });
    await expect(verify(TOKEN.slice(0, -1))).rejects.toMatchObject({ reason: "bad_signature" });
    await expect(verify(`${TOKEN}0`)).rejects.toMatchObject({ reason: "bad_signature" });
  });

  it("answers 401 through the route to a wrong token", async () => {
    const res = await SELF.fetch(`${PUBLIC_URL}/webhooks/freshdesk`, {
      method: "POST",
      body: fixture("freshdesk", "ticket.created"),
      headers: { "content-type": "application/json", [FRESHDESK_TOKEN_HEADER]: "guess" },
    });
    expect(res.status).toBe(401);
  });
});

describe("freshdesk normalization", () => {
  it("a created ticket: names mapped, opened now, requester as subject", () => {
    const [d] = normalize("ticket.created");
    expect(d!.vendorType).toBe("ticket.created");
    expect(d!.events[0]).toMatchObject({
      type: "ticket.changed",
      desk: "freshdesk",
      ticketId: "4821",
      status: "open",
      priority: "low",
      tags: ["sso", "login"],
      title: "SSO login loops back to the sign-in page",
      openedAt: 1_764_000_000_000,
      occurredAt: 1_764_000_000_000,
      subject: { email: "it-admin@initech.example", domain: "initech.example" },
    });
  });

  it("Resolved is solved, Medium is normal; the repeat of a body is a duplicate, a change is not", () => {
    const [a] = normalize("ticket.resolved");
    expect(a!.events[0]).toMatchObject({ status: "solved", priority: "normal" });
    expect(a!.events[0]).not.toHaveProperty("openedAt");
    const [again] = normalize("ticket.resolved", 1_764_000_099_000);
    expect(again!.dedupeKey).toBe(a!.dedupeKey);
    expect(normalize("ticket.created")[0]!.dedupeKey).not.toBe(a!.dedupeKey);
  });

  it("API codes (5 Closed, 4 Urgent) and an ISO updated_at, which keys the delivery", () => {
    const [d] = normalize("ticket.updated.codes");
    expect(d!.dedupeKey).toBe(`4907:${Date.parse("2025-11-24T14:03:11Z")}`);
    expect(d!.events[0]).toMatchObject({ ticketId: "4907", status: "closed", priority: "urgent", occurredAt: Date.parse("2025-11-24T14:03:11Z") });
    expect(d!.events[0]).not.toHaveProperty("tags");
  });

  it("status codes 2 and 3 are open and pending", () => {
    const body = (status: number) => JSON.stringify({ freshdesk_webhook: { ticket_id: 1, ticket_status: status, ticket_priority: 3 } });
    const status = (s: number) => freshdeskSource.normalize(freshdeskSource.schema.parse(JSON.parse(body(s))), body(s), { now: 0 })[0]!.events[0];
    expect(status(2)).toMatchObject({ status: "open", priority: "high" });
    expect(status(3)).toMatchObject({ status: "pending" });
  });
});
