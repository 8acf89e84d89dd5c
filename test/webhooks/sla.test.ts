import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshdeskSource } from "../../webhooks/freshdesk";
import { intercomSource } from "../../webhooks/intercom";
import { zendeskSource } from "../../webhooks/zendesk";
import { editedFixture, fixture, iso, seconds } from "../support/fixtures";
import { signFreshdesk } from "../support/sign/freshdesk";
import { signIntercom } from "../support/sign/intercom";
import { signZendesk } from "../support/sign/zendesk";
import { applyReceived, customerByStripeId, postStripe, stripeEvent } from "./stripe-support";

const HOUR = 3_600_000;
const url = (source: string) => `https://tenure.example.com/webhooks/${source}`;

async function post(source: string, body: string, headers: Record<string, string>) {
  const res = await SELF.fetch(url(source), { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  expect(res.status).toBe(200);
}

async function payingCustomer(tag: string, email: string) {
  await postStripe(
    stripeEvent("customer.created", `evt_sla_${tag}`, (o) => {
      o.id = `cus_sla_${tag}`;
      o.email = email;
      o.metadata = {};
    }),
  );
  return `cus_sla_${tag}`;
}

function slaOf(source: typeof freshdeskSource | typeof intercomSource | typeof zendeskSource, raw: string) {
  const deliveries = (source as any).normalize((source as any).schema.parse(JSON.parse(raw)), raw, { now: Date.UTC(2025, 10, 26) });
  return deliveries.flatMap((d: any) => d.events.map((e: any) => e.slaBreached));
}

describe("SLA breach from the desks' own payloads", () => {
  it("each desk says breached only when its payload says so", () => {
    expect(slaOf(freshdeskSource, fixture("freshdesk", "ticket.overdue"))).toEqual([true]);
    expect(slaOf(freshdeskSource, fixture("freshdesk", "ticket.created"))).toEqual([undefined]);
    // Past its due time but resolved: not a breach Freshdesk reports.
    const resolvedLate = editedFixture("freshdesk", "ticket.overdue", (j) => {
      j.freshdesk_webhook.ticket_status = "Resolved";
      j.freshdesk_webhook.ticket_is_escalated = "false";
    });
    expect(slaOf(freshdeskSource, resolvedLate)).toEqual([undefined]);
    // Still open past the due time, no escalation flag: a breach.
    const openLate = editedFixture("freshdesk", "ticket.overdue", (j) => (j.freshdesk_webhook.ticket_is_escalated = "false"));
    expect(slaOf(freshdeskSource, openLate)).toEqual([true]);

    expect(slaOf(intercomSource, fixture("intercom", "conversation.admin.replied.sla_missed"))).toEqual([true]);
    expect(slaOf(intercomSource, fixture("intercom", "conversation.admin.replied"))).toEqual([undefined]);
    const hit = editedFixture("intercom", "conversation.admin.replied.sla_missed", (j) => (j.data.item.sla_applied.sla_status = "hit"));
    expect(slaOf(intercomSource, hit)).toEqual([undefined]);

    const zd = (v: unknown) => editedFixture("zendesk", "trigger.satisfaction", (j) => (j.ticket.sla_breached = v));
    expect(slaOf(zendeskSource, zd("true"))).toEqual([true]);
    expect(slaOf(zendeskSource, zd(""))).toEqual([undefined]);
    expect(slaOf(zendeskSource, fixture("zendesk", "trigger.satisfaction"))).toEqual([undefined]);
  });

  it("signed deliveries through the route and queue land on the customer's tickets as the SLA-breach fact the model scores", async () => {
    const now = Date.now();
    const initech = await payingCustomer("fd", "it-admin@initech.example");
    const acme = await payingCustomer("ic", "dana.ops@acme.example");
    const umbrella = await payingCustomer("zd", "lee.park@umbrella.example");
    await applyReceived();

    const fd = editedFixture("freshdesk", "ticket.overdue", (j) => (j.freshdesk_webhook.ticket_updated_at = iso(now - HOUR)));
    await post("freshdesk", fd, await signFreshdesk("freshdesk_token_0123456789"));

    const ic = editedFixture("intercom", "conversation.admin.replied.sla_missed", (j) => {
      j.created_at = seconds(now - HOUR);
      j.data.item.created_at = seconds(now - 2 * HOUR);
      j.data.item.statistics.first_admin_reply_at = seconds(now - HOUR);
    });
    // The conversation opens, then the first admin reply comes after the SLA's target.
    const opened = editedFixture("intercom", "conversation.user.created", (j) => {
      j.created_at = seconds(now - 2 * HOUR);
      j.data.item.id = "147000012399";
      j.data.item.created_at = seconds(now - 2 * HOUR);
    });
    await post("intercom", opened, await signIntercom("client_secret_abc", opened));
    await post("intercom", ic, await signIntercom("client_secret_abc", ic));

    const zd = editedFixture("zendesk", "trigger.satisfaction", (j) => {
      j.ticket.id = "35999";
      j.ticket.status = "Open";
      j.ticket.requester_email = "lee.park@umbrella.example";
      j.ticket.created_at = iso(now - 3 * HOUR);
      j.ticket.updated_at = iso(now - HOUR);
      j.ticket.sla_breached = "true";
    });
    await post("zendesk", zd, await signZendesk("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", zd, { now, method: "POST", url: url("zendesk") }));

    await applyReceived();
    for (const [cus, key] of [[initech, "freshdesk:4907"], [acme, "intercom:147000012399"], [umbrella, "zendesk:35999"]] as const) {
      const c = await customerByStripeId(cus);
      expect(c.state.support.tickets[key]).toMatchObject({ slaBreached: true });
      expect(c.health.drivers).toContainEqual(expect.objectContaining({ factor: "support.sla_breached" }));
    }
  });
});
