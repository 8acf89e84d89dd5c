import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { zendeskSource } from "../../webhooks/zendesk";
import { FakeHubSpot } from "../fakes/hubspot";
import { FakeZendesk } from "../fakes/zendesk";
import { ADMIN } from "../support/drain";
import { fixture } from "../support/fixtures";
import { drainWith, hubspotEvent, outboxRow, postHubspot, postZendesk, rowsNaming, withZendesk, ZENDESK_API, zendeskTicketEvent } from "./support";

const hub = new FakeHubSpot({ token: "pat-test-hubspot-0123456789" });
const zd = new FakeZendesk({ email: ZENDESK_API.ZENDESK_API_EMAIL, token: ZENDESK_API.ZENDESK_API_TOKEN });
const server = setupServer(
  http.all("https://hubspot.fake/*", ({ request }) => hub.handle(request as unknown as Request)),
  http.all("https://zendesk.fake/*", ({ request }) => zd.handle(request as unknown as Request)),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe("Zendesk event-subscription tickets carry ids only", () => {
  it("normalize keeps the requester and organization ids as the identity hint", () => {
    const raw = fixture("zendesk", "ticket.created");
    const [d] = zendeskSource.normalize(zendeskSource.schema.parse(JSON.parse(raw)), raw, { now: Date.now() });
    expect(d!.events[0]!.subject).toEqual({ zendeskUserId: "8447388090111", zendeskOrganizationId: "8447346622462" });
  });

  it("without API credentials a ticket is listed as unmatched under its requester id, with the reason, and is applied once they are set", async () => {
    const companyId = hub.addCompany({ name: "Hooli" });
    await postHubspot([
      hubspotEvent("company.creation", { objectId: Number(companyId) }),
      hubspotEvent("company.propertyChange", { objectId: Number(companyId), propertyName: "domain", propertyValue: "hooli.example" }),
    ]);
    zd.addUser(8201, "gavin@hooli.example");
    expect((await postZendesk(zendeskTicketEvent("created", { id: "6001", requesterId: "8201", eventId: "01JUNMATCHED00000000000001" }))).status).toBe(200);
    await drainWith(env as Env);

    const [row] = await rowsNaming("zendesk", `"ticketId":"6001"`);
    expect(row).toMatchObject({ status: "unmatched", customer_id: null });
    expect(row!.reason).toContain("zendesk_user:8201");
    const keys = await env.DB.prepare(`SELECT kind, value FROM unmatched_keys WHERE event_id = ?`).bind(row!.id).all();
    expect(keys.results).toEqual([{ kind: "zendesk_user", value: "8201" }]);
    expect(await outboxRow("enrich:zendesk:user:8201")).toMatchObject({ status: "skipped", last_error: expect.stringContaining("ZENDESK_API_TOKEN") });
    expect(zd.requests).toHaveLength(0);

    // The credential arrives; the skipped lookup is put back in line from the outbox.
    const retry = await SELF.fetch("https://tenure.example.com/api/actions/enrich%3Azendesk%3Auser%3A8201/retry", { method: "POST", headers: ADMIN });
    expect(retry.status).toBe(202);
    await drainWith(withZendesk);
    const customer = await env.DB.prepare(`SELECT customer_id FROM identities WHERE kind = 'hubspot' AND value = ?`).bind(companyId).first<{ customer_id: string }>();
    expect((await rowsNaming("zendesk", `"ticketId":"6001"`))[0]).toMatchObject({ status: "processed", customer_id: customer!.customer_id });
    expect(zd.requests.map((r) => r.path)).toEqual(["/api/v2/users/8201.json"]);
  });
});
