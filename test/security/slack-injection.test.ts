import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { insertActionStmts } from "../../src/store/outbox";
import { basesOf, createFakes, startFakeServer } from "../fakes/msw";
import { slackControls } from "../fakes/slack-mrkdwn";
import { drain } from "../support/drain";
import { fixture } from "../support/fixtures";
import { signDelighted } from "../support/sign/delighted";
import { signStripe } from "../support/sign/stripe";

/** A Checkout buyer chooses their own name; an NPS respondent writes their own comment. */
const EVIL = "Evil <!channel> <!here> <@U0ADMIN> <https://evil.example|Click here>";
const EVIL_ESCAPED = "Evil &lt;!channel&gt; &lt;!here&gt; &lt;@U0ADMIN&gt; &lt;https://evil.example|Click here&gt;";
const EVIL_COMMENT = "Cancel now <!everyone> <https://evil.example/login|Reset your password>";
const RAW = ["<!channel>", "<!here>", "<!everyone>", "<@U0ADMIN>", "<https://evil.example"];
const STRIPE_CUSTOMER = "cus_EvilInjection01";

const cfg = loadConfig(env);
const fakes = createFakes(cfg);
let server: ReturnType<typeof startFakeServer>;
beforeAll(() => void (server = startFakeServer(fakes, basesOf(cfg))));
afterAll(() => server.close());

function stripeEvent(name: string, patch: (ev: any) => void): string {
  const ev = JSON.parse(fixture("stripe", name));
  ev.created = Math.floor(Date.now() / 1000) - 60;
  patch(ev);
  return JSON.stringify(ev);
}

async function postStripe(body: string) {
  const res = await SELF.fetch("https://tenure.example.com/webhooks/stripe", { method: "POST", body, headers: await signStripe(body) });
  expect(res.status).toBe(200);
}

async function postDetractorComment() {
  const ev = JSON.parse(fixture("delighted", "survey_response.updated"));
  Object.assign(ev.event_data, { score: 2, comment: EVIL_COMMENT, created_at: Math.floor(Date.now() / 1000) - 30, updated_at: Math.floor(Date.now() / 1000) - 30 });
  ev.event_data.person.email = "buyer@evil-buyer.example";
  ev.event_id = "evt_evil_nps_1";
  const body = JSON.stringify(ev);
  const res = await SELF.fetch("https://tenure.example.com/webhooks/delighted", { method: "POST", body, headers: await signDelighted("delighted_secret", body) });
  expect(res.status).toBe(200);
}

/** A request as Slack signs it (v0 HMAC over timestamp and raw body). */
async function postToSlackRoute(body: string) {
  const ts = Math.floor(Date.now() / 1000);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(cfg.SLACK_SIGNING_SECRET!), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${ts}:${body}`)));
  const signature = `v0=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const headers = { "x-slack-request-timestamp": String(ts), "x-slack-signature": signature, "content-type": "application/x-www-form-urlencoded" };
  const res = await SELF.fetch("https://tenure.example.com/slack/events", { method: "POST", body, headers });
  expect(res.status).toBe(200);
  return res;
}

async function slashHealth(query: string) {
  const res = await postToSlackRoute(new URLSearchParams({ command: "/health", text: query, user_id: "U0OPS", channel_id: "C0ALERTS" }).toString());
  return res.json<{ response_type: string; text: string }>();
}

/** Drains, waiting out Tenure's own Slack rate limit (one post a second) when it holds the action back. */
async function drainUntilDelivered(actionId: string) {
  // By time, not by attempts: under a loaded machine a retry after the fake's 429 can take more than five turns.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    await drain();
    const row = await env.DB.prepare(`SELECT status, next_attempt_at FROM outbox WHERE id = ?`).bind(actionId).first<{ status: string; next_attempt_at: number }>();
    if (row?.status !== "pending") return;
    await new Promise((r) => setTimeout(r, Math.min(2_000, Math.max(0, row.next_attempt_at - Date.now()) + 10)));
  }
}

function expectInert(text: string) {
  for (const seq of RAW) expect(text).not.toContain(seq);
  expect(slackControls(text)).toEqual([]);
}

describe("a hostile customer name and NPS comment reach Slack as text", () => {
  beforeAll(async () => {
    await postStripe(
      stripeEvent("customer.created", (ev) => {
        ev.id = "evt_evil_customer_1";
        Object.assign(ev.data.object, { id: STRIPE_CUSTOMER, name: EVIL, email: "buyer@evil-buyer.example", metadata: {} });
      }),
    );
    const invoice = (name: string, id: string) =>
      stripeEvent(name, (ev) => {
        ev.id = `evt_evil_${id}`;
        Object.assign(ev.data.object, { id: `in_evil_${id}`, customer: STRIPE_CUSTOMER, customer_email: "buyer@evil-buyer.example", customer_name: EVIL });
      });
    await postStripe(invoice("invoice.paid.first", "paid"));
    await drain();
    await postDetractorComment();
    await postStripe(invoice("invoice.payment_failed", "failed"));
    await drain();
  });

  const customer = () =>
    env.DB.prepare(`SELECT c.id, c.name FROM customers c JOIN identities i ON i.customer_id = c.id WHERE i.kind = 'stripe' AND i.value = ?`)
      .bind(STRIPE_CUSTOMER)
      .first<{ id: string; name: string }>();

  it("the alert's notification text and blocks", async () => {
    const c = await customer();
    expect(c?.name).toBe(EVIL);
    const alerts = fakes.slack.messages.filter((m) => m.metadata?.event_payload.action_id?.toString().startsWith(`slack.alert:`) && m.metadata.event_payload.action_id.toString().includes(c!.id));
    expect(alerts.length).toBeGreaterThan(0);
    for (const m of alerts) {
      expectInert(m.text);
      expect(m.text).toContain(EVIL_ESCAPED);
      const blocks = JSON.stringify(m.blocks);
      for (const seq of RAW) expect(blocks).not.toContain(seq);
      expect(blocks).toContain(EVIL_ESCAPED);
      for (const text of blockTexts(m.blocks)) expect(slackControls(text).filter((t) => !t.startsWith("<!date^"))).toEqual([]);
    }
  });

  it("the recovery in the alert's thread", async () => {
    const c = (await customer())!;
    const alert = fakes.slack.messages.find((m) => String(m.metadata?.event_payload.action_id ?? "").includes(c.id))!;
    const alertActionId = String(alert.metadata!.event_payload.action_id);
    const recovery = { type: "slack.recovery" as const, customerId: c.id, customerName: c.name, score: 82, alertActionId };
    await env.DB.batch(insertActionStmts(env.DB, [{ id: `slack.recovery:${alertActionId}`, customerId: c.id, payload: recovery }], Date.now()));
    await drainUntilDelivered(`slack.recovery:${alertActionId}`);
    const posted = fakes.slack.messages.find((m) => m.metadata?.event_payload.action_id === `slack.recovery:${alertActionId}`);
    expect(posted).toMatchObject({ thread_ts: alert.ts });
    expectInert(posted!.text);
    expect(posted!.text).toContain(EVIL_ESCAPED);
    expect(JSON.stringify(posted!.blocks)).toContain(EVIL_ESCAPED);
    for (const seq of RAW) expect(JSON.stringify(posted!.blocks)).not.toContain(seq);
  });

  it("the alert as rewritten after an Acknowledge click", async () => {
    const c = (await customer())!;
    const alert = fakes.slack.messages.find((m) => !m.thread_ts && String(m.metadata?.event_payload.action_id ?? "").includes(c.id))!;
    const payload = {
      type: "block_actions",
      user: { id: "U0OPS" },
      channel: { id: alert.channel },
      message: { ts: alert.ts, text: alert.text, blocks: alert.blocks },
      actions: [{ action_id: "ack_alert", value: alert.metadata!.event_payload.action_id }],
    };
    await postToSlackRoute(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(alert.edited).toBe(true);
    expectInert(alert.text);
    expect(alert.text).toBe(`${alert.text.replace(/ \(acknowledged\)$/, "")} (acknowledged)`);
    expect(alert.text).toContain(EVIL_ESCAPED);
    const blocks = JSON.stringify(alert.blocks);
    for (const seq of RAW) expect(blocks).not.toContain(seq);
    expect(blocks).toContain("Acknowledged by <@U0OPS>");
  });

  it("the /health reply, with the NPS comment among the drivers", async () => {
    const reply = await slashHealth("Evil");
    expect(reply.response_type).toBe("ephemeral");
    expectInert(reply.text);
    expect(reply.text).toContain(EVIL_ESCAPED);
    expect(reply.text).toContain("&lt;!everyone&gt;");
  });

  it("the /health reply echoes a hostile query as text", async () => {
    const reply = await slashHealth("<!channel> nobody");
    expectInert(reply.text);
    expect(reply.text).toContain("&lt;!channel&gt; nobody");
  });
});

function blockTexts(blocks: unknown): string[] {
  const out: string[] = [];
  JSON.stringify(blocks, (k, v) => (k === "text" && typeof v === "string" ? (out.push(v), v) : v));
  return out;
}
