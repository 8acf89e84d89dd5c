import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySlackSignature } from "../../webhooks/slack-signature";
import { FakeSlack } from "../fakes/slack";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const slackFake = new FakeSlack({ token: "xoxb-test-slack-0123456789", channels: { C0ALERTS: { name: "alerts" } } });
const server = setupServer(http.all("https://slack.fake/*", ({ request }) => slackFake.handle(request as unknown as Request)));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

async function sign(body: string, ts = Math.floor(Date.now() / 1000), secret = SECRET) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${ts}:${body}`)));
  return { "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`, "content-type": "application/x-www-form-urlencoded" };
}

const post = (body: string, headers: Record<string, string>) => SELF.fetch("https://tenure.example.com/slack/events", { method: "POST", body, headers });

async function seedAlert(id: string) {
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO customers (id, name, state, created_at, updated_at) VALUES ('cu_slack', 'Acme', '{}', ?, ?) ON CONFLICT DO NOTHING`).bind(now, now),
    env.DB.prepare(
      `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at, result)
       VALUES (?, 'cu_slack', 'slack', 'slack.alert', '{}', 'delivered', 1, ?, ?, ?, '{"channel":"C0ALERTS","ts":"1700000000.000100"}')`,
    ).bind(id, now, now, now),
  ]);
}

function clickBody(actionId: string, value: string) {
  const payload = {
    type: "block_actions",
    user: { id: "U123" },
    channel: { id: "C0ALERTS" },
    message: { ts: "1700000000.000100", text: "Health alert", blocks: [{ type: "section", text: { type: "mrkdwn", text: "x" } }, { type: "actions", elements: [] }] },
    actions: [{ action_id: actionId, value }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

describe("Slack signatures", () => {
  it("verify Slack's official test vector", async () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const headers = new Headers({ "x-slack-request-timestamp": "1531420618", "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" });
    await expect(verifySlackSignature(body, headers, SECRET, 1531420618_000)).resolves.toBeUndefined();
  });
});

describe("POST /slack/events", () => {
  it("a signed Acknowledge click acknowledges the alert and updates the message", async () => {
    await seedAlert("slack.alert:entered_red:cu_slack:1");
    const body = clickBody("ack_alert", "slack.alert:entered_red:cu_slack:1");
    const res = await post(body, await sign(body));
    expect(res.status).toBe(200);
    const state = await env.DB.prepare(`SELECT status, by_user FROM alert_states WHERE action_id = ?`).bind("slack.alert:entered_red:cu_slack:1").first();
    expect(state).toEqual({ status: "acknowledged", by_user: "U123" });
    await new Promise((r) => setTimeout(r, 50));
    const updates = slackFake.requests.filter((r) => r.path.endsWith("/chat.update"));
    expect(updates.length).toBe(1);
    expect(updates[0]!.body).toContain("Acknowledged by <@U123>");
  });

  it("Snooze silences the customer's alerts for 7 days", async () => {
    await seedAlert("slack.alert:score_drop:cu_slack:2");
    const body = clickBody("snooze_alert", "slack.alert:score_drop:cu_slack:2");
    expect((await post(body, await sign(body))).status).toBe(200);
    const row = await env.DB.prepare(`SELECT json_extract(alerts, '$.snoozedUntil') AS until FROM customers WHERE id = 'cu_slack'`).first<{ until: number }>();
    expect(row!.until).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it("refuses a forged click and a stale one, and changes nothing", async () => {
    await seedAlert("slack.alert:entered_red:cu_slack:3");
    const body = clickBody("ack_alert", "slack.alert:entered_red:cu_slack:3");
    const forged = await post(body, await sign(body, undefined, "not-the-secret-000000000"));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: "invalid_signature", reason: "bad_signature" } });
    const stale = await post(body, await sign(body, Math.floor(Date.now() / 1000) - 6 * 60));
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { reason: "stale_timestamp" } });
    expect(await env.DB.prepare(`SELECT 1 FROM alert_states WHERE action_id = ?`).bind("slack.alert:entered_red:cu_slack:3").first()).toBeNull();
  });

  it("answers the /health slash command by domain", async () => {
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO customers (id, name, domain, state, score, band, stage, created_at, updated_at) VALUES ('cu_globex', 'Globex', 'globex.example', '{}', 42, 'red', 'renewal', ?, ?)`).bind(now, now),
      env.DB.prepare(`INSERT INTO identities (kind, value, customer_id, created_at) VALUES ('domain', 'globex.example', 'cu_globex', ?)`).bind(now),
    ]);
    const body = "command=%2Fhealth&text=globex.example&user_id=U1&channel_id=C1";
    const res = await post(body, await sign(body));
    expect(res.status).toBe(200);
    const json = await res.json<{ response_type: string; text: string }>();
    expect(json.response_type).toBe("ephemeral");
    expect(json.text).toContain("Globex");
    expect(json.text).toContain("42");
  });
});
