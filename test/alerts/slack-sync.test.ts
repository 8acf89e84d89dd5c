import { env, SELF } from "cloudflare:test";
import { http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORIGIN, login, post } from "../dashboard/seed";
import { FakeSlack } from "../fakes/slack";
import { drain } from "../support/drain";
import { seedAlert, seedCustomer } from "./support";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
// Slack allows one post a second per channel: each test's alert is posted a few (fake) seconds after the last.
let skew = 0;
const slackFake = new FakeSlack({ token: "xoxb-test-slack-0123456789", channels: { C0ALERTS: { name: "alerts" } }, now: () => Date.now() + skew });
const server = setupServer(http.all("https://slack.fake/*", ({ request }) => slackFake.handle(request as unknown as Request)));
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  session = await login();
  await seedCustomer("sy_acme", "Acme");
});
afterAll(() => server.close());

const page = async (path: string) => (await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: session.cookie } })).text();
const rowOf = (html: string, id: string) => html.slice(html.indexOf(`data-action-id="${id}"`)).split("</tr>")[0]!;

/**
 * Drains until nothing of this alert's is pending. Tenure's own Slack limiter allows one call a second, so a
 * post right after another waits its turn (the outbox re-schedules it), as it would in production.
 */
async function deliverAll() {
  for (let i = 0; i < 20; i++) {
    await drain();
    const left = await env.DB.prepare(`SELECT count(*) AS n FROM outbox WHERE destination = 'slack' AND status = 'pending'`).first<number>("n");
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("Slack actions still pending after 5 s");
}

/** Plans an alert and lets the outbox post it to the fake Slack, as production does. */
async function postedAlert(id: string) {
  await seedAlert(id, "sy_acme", "entered_red", `Acme entered red (${id})`, { status: "pending" });
  skew += 5_000;
  await deliverAll();
  const posted = slackFake.messages.find((m) => JSON.stringify(m.metadata ?? {}).includes(id));
  expect(posted, "the outbox posted the alert").toBeDefined();
  return posted!;
}

async function signedClick(actionId: string, value: string, message: { ts: string; text: string; blocks?: unknown[] }, user = "U0CSMBEA") {
  const payload = { type: "block_actions", user: { id: user }, channel: { id: "C0ALERTS" }, message, actions: [{ action_id: actionId, value }] };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = Math.floor(Date.now() / 1000);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${ts}:${body}`)));
  const signature = `v0=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  return SELF.fetch(`${ORIGIN}/slack/events`, {
    method: "POST",
    body,
    headers: { "x-slack-request-timestamp": String(ts), "x-slack-signature": signature, "content-type": "application/x-www-form-urlencoded" },
  });
}

describe("one alert state, two surfaces", () => {
  it("acknowledging in the dashboard updates the Slack message through the outbox", async () => {
    const posted = await postedAlert("sy:1");
    expect(JSON.stringify(posted.blocks)).toContain('"type":"actions"');
    const res = await post("/alerts/sy:1/acknowledge", session.cookie, { _csrf: session.csrf, back: "/alerts" });
    expect(res.status).toBe(303);
    await deliverAll();
    const updates = slackFake.requests.filter((r) => r.path.endsWith("/chat.update") && r.body.includes(posted.ts));
    expect(updates).toHaveLength(1);
    expect(posted.edited).toBe(true);
    expect(posted.text).toContain("(acknowledged)");
    const blocks = JSON.stringify(posted.blocks);
    expect(blocks).toContain("Acknowledged by admin (token)");
    expect(blocks).not.toContain('"type":"actions"');
    expect(blocks).toContain("Acme entered red (sy:1)");
    expect(await env.DB.prepare(`SELECT status FROM outbox WHERE type = 'slack.alert_update' AND json_extract(payload, '$.alertActionId') = 'sy:1'`).first("status")).toBe("delivered");
    const row = rowOf(await page("/alerts"), "sy:1");
    expect(row).toContain('data-status="acknowledged"');
    expect(row).toContain("by admin (token)");
  });

  it("snoozing for a day in the dashboard says until when, in both places", async () => {
    const posted = await postedAlert("sy:2");
    await post("/alerts/sy:2/snooze", session.cookie, { _csrf: session.csrf, days: "1" });
    await deliverAll();
    expect(JSON.stringify(posted.blocks)).toMatch(/Snoozed until <!date\^\d+\^\{date_short_pretty\}\|\d{4}-\d{2}-\d{2}> by admin \(token\)/);
    const until = await env.DB.prepare(`SELECT snoozed_until FROM alert_states WHERE action_id = 'sy:2'`).first<number>("snoozed_until");
    expect(until! - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect(until! - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(rowOf(await page("/alerts"), "sy:2")).toContain('data-status="snoozed"');
  });

  it("a Slack Acknowledge click shows in the dashboard with the Slack user as actor", async () => {
    const posted = await postedAlert("sy:3");
    const res = await signedClick("ack_alert", "sy:3", { ts: posted.ts, text: posted.text, blocks: posted.blocks! });
    expect(res.status).toBe(200);
    const html = await page("/alerts?status=acknowledged");
    const row = rowOf(html, "sy:3");
    expect(row).toContain('data-status="acknowledged"');
    expect(row).toContain("by U0CSMBEA (Slack)");
    await new Promise((r) => setTimeout(r, 50));
    expect(JSON.stringify(posted.blocks)).toContain("Acknowledged by <@U0CSMBEA>");
  });

  it("does not queue a Slack update for an alert that never posted", async () => {
    await seedAlert("sy:4", "sy_acme", "entered_red", "never posted", { status: "dead" });
    await post("/alerts/sy:4/acknowledge", session.cookie, { _csrf: session.csrf });
    expect(await env.DB.prepare(`SELECT count(*) AS n FROM outbox WHERE type = 'slack.alert_update' AND json_extract(payload, '$.alertActionId') = 'sy:4'`).first("n")).toBe(0);
    expect(await env.DB.prepare(`SELECT status FROM alert_states WHERE action_id = 'sy:4'`).first("status")).toBe("acknowledged");
  });
});
