import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { slackAlertSchema, type Action } from "../../src/core/actions";
import { login, ORIGIN } from "../dashboard/seed";
import { alert, useOutbox, type OutboxHarness } from "../outbox/harness";

/**
 * Alert routing through the real outbox and Slack connector against the fake Slack: owner channel → owner DM →
 * segment channel → fallback, and the fallback channel once when the routed target refuses for good.
 */
const harness = useOutbox();

const OWNER = { hubspotOwnerId: "71002", ownerEmail: "ana@acme.test" };

function configure(h: OutboxHarness, routing: Record<string, unknown>) {
  h.deps.cfg = { ...h.cfg, TENURE_CONFIG: JSON.stringify({ alerts: { routing } }) };
  h.fakes.slack.users.set("ana@acme.test", "U0ANA");
  h.fakes.slack.channels.set("C0OWNER", { name: "ana-accounts", member: true });
  h.fakes.slack.channels.set("C0ENT", { name: "enterprise", member: true });
  h.fakes.slack.channels.set("C0NOBOT", { name: "private", member: false });
}

async function deliverOne(h: OutboxHarness, a: Action) {
  await h.insert([a]);
  expect(await h.deliver("slack", [a.id])).toBe(1);
  const row = await h.row(a.id);
  return { status: row.status, result: JSON.parse(row.result ?? "null") as Record<string, unknown> | null, row };
}

const postsTo = (h: OutboxHarness) => h.fakes.slack.requests.filter((r) => r.path.endsWith("/chat.postMessage")).map((r) => JSON.parse(r.body).channel as string);

describe("alert routing order", () => {
  it("the owner's mapped channel comes first, even in DM mode", async () => {
    const h = harness();
    configure(h, { mode: "dm", owners: { "71002": "C0OWNER" }, segments: { enterprise: "C0ENT" } });
    const out = await deliverOne(h, alert("r1", { ...OWNER, segments: ["enterprise"] }));
    expect(out.status).toBe("delivered");
    expect(out.result).toMatchObject({ channel: "C0OWNER", route: "owner_channel" });
    expect(h.fakes.slack.inChannel("C0OWNER")).toHaveLength(1);
    expect(h.fakes.slack.inChannel("C0ALERTS")).toHaveLength(0);
  });

  it("an owner mapped by email (any case) gets their channel", async () => {
    const h = harness();
    configure(h, { owners: { "Ana@Acme.test": "C0OWNER" } });
    const out = await deliverOne(h, alert("r1b", { ownerEmail: "ana@acme.test" }));
    expect(out.result).toMatchObject({ channel: "C0OWNER", route: "owner_channel" });
  });

  it("in DM mode the owner whose email is a Slack user gets a direct message, mentioned by id", async () => {
    const h = harness();
    configure(h, { mode: "dm", segments: { enterprise: "C0ENT" } });
    const out = await deliverOne(h, alert("r2", { ...OWNER, segments: ["enterprise"] }));
    expect(out.result).toMatchObject({ channel: "D0ANA", route: "owner_dm" });
    const [dm] = h.fakes.slack.inDm("U0ANA");
    expect(dm?.ts).toBe(out.result!.ts);
    expect(JSON.stringify(dm?.blocks)).toContain("<@U0ANA>");
    expect(h.fakes.slack.requests.filter((r) => r.path.includes("/users.lookupByEmail"))).toHaveLength(1);
  });

  it("without an owner route, the account's first mapped segment's channel", async () => {
    const h = harness();
    configure(h, { mode: "channel", owners: { "99999": "C0OWNER" }, segments: { enterprise: "C0ENT", smb: "C0SMB" } });
    const out = await deliverOne(h, alert("r3", { ...OWNER, segments: ["trial", "enterprise", "smb"] }));
    expect(out.result).toMatchObject({ channel: "C0ENT", route: "segment_channel" });
  });

  it("with nothing mapped, the fallback channel (SLACK_ALERT_CHANNEL by default, or routing.fallbackChannel)", async () => {
    const h = harness();
    configure(h, { mode: "channel" });
    const out = await deliverOne(h, alert("r4", OWNER));
    // As before routing existed: the stored result is the message's {channel, ts}.
    expect(out.result).toEqual({ channel: "C0ALERTS", ts: expect.any(String) });

    configure(h, { fallbackChannel: "C0ENT" });
    const other = await deliverOne(h, alert("r4b", OWNER));
    expect(other.result).toEqual({ channel: "C0ENT", ts: expect.any(String) });
  });
});

describe("falling back when the routed target refuses", () => {
  it("users_not_found: an owner who is no Slack user is passed over for the fallback channel, and the result says why", async () => {
    const h = harness();
    configure(h, { mode: "dm" });
    const out = await deliverOne(h, alert("f1", { ownerEmail: "nobody@acme.test" }));
    expect(out.status).toBe("delivered");
    expect(out.result).toMatchObject({ channel: "C0ALERTS", route: "fallback", fallbackFrom: { route: "owner_dm", target: "nobody@acme.test", error: "users_not_found" } });
    expect(postsTo(h)).toEqual(["C0ALERTS"]);
  });

  it("channel_not_found: a mapped channel that does not exist sends the alert to the fallback channel, once", async () => {
    const h = harness();
    configure(h, { owners: { "71002": "C0GONE" } });
    const out = await deliverOne(h, alert("f2", OWNER));
    expect(out.result).toMatchObject({ channel: "C0ALERTS", route: "fallback", fallbackFrom: { route: "owner_channel", target: "C0GONE", error: "channel_not_found" } });
    expect(postsTo(h)).toEqual(["C0GONE", "C0ALERTS"]);
  });

  it("not_in_channel: a segment channel the bot is not in falls back too", async () => {
    const h = harness();
    configure(h, { segments: { enterprise: "C0NOBOT" } });
    const out = await deliverOne(h, alert("f3", { segments: ["enterprise"] }));
    expect(out.result).toMatchObject({ channel: "C0ALERTS", fallbackFrom: { route: "segment_channel", error: "not_in_channel" } });
  });

  it("a fallback channel that refuses too fails the alert for good, without a loop", async () => {
    const h = harness();
    configure(h, { owners: { "71002": "C0GONE" }, fallbackChannel: "C0ALSOGONE" });
    const out = await deliverOne(h, alert("f4", OWNER));
    expect(out.status).toBe("failed");
    expect(postsTo(h)).toEqual(["C0GONE", "C0ALSOGONE"]);
  });

  it("a rate limit on the routed channel is retried there, not sent elsewhere", async () => {
    const h = harness();
    configure(h, { owners: { "71002": "C0OWNER" } });
    h.fakes.slack.failNext(1, 429);
    const out = await deliverOne(h, alert("f5", { hubspotOwnerId: "71002" }));
    expect(out.status).toBe("pending");
    expect(h.fakes.slack.inChannel("C0ALERTS")).toHaveLength(0);
  });
});

describe("the Alerts page says where each alert went", () => {
  it("a DM, and a fallback with the reason", async () => {
    const h = harness();
    configure(h, { mode: "dm", owners: { "71003": "C0GONE" } });
    await deliverOne(h, alert("w1", OWNER));
    await deliverOne(h, alert("w2", { hubspotOwnerId: "71003" }));
    const session = await login();
    const html = await (await SELF.fetch(`${ORIGIN}/alerts`, { headers: { cookie: session.cookie } })).text();
    const row = (id: string) => html.slice(html.indexOf(`data-action-id="${id}"`)).split("</tr>")[0]!;
    expect(row("w1")).toContain("Slack: to D0ANA (owner&#39;s DM)");
    expect(row("w2")).toContain("Slack: to C0ALERTS (fallback channel after the owner&#39;s channel (C0GONE) failed: channel_not_found)");
  });
});

describe("answers follow the message where it landed", () => {
  it("a dashboard acknowledge and a recovery target the DM channel and ts the alert was posted with", async () => {
    const h = harness();
    configure(h, { mode: "dm" });
    const posted = await deliverOne(h, alert("a1", OWNER));
    expect(posted.result).toMatchObject({ channel: "D0ANA" });
    const alertPayload = await payloadOf("a1");
    h.clock.advance(5_000);
    await deliverOne(h, { id: "slack.alert_update:act1", customerId: "cu_a1", payload: { type: "slack.alert_update", alertActionId: "a1", actor: "csm@acme.test", snoozedUntil: null, alert: alertPayload } });
    const update = h.fakes.slack.requests.find((r) => r.path.endsWith("/chat.update"));
    expect(JSON.parse(update!.body)).toMatchObject({ channel: "D0ANA", ts: posted.result!.ts });
    const [dm] = h.fakes.slack.inDm("U0ANA");
    expect(dm?.edited).toBe(true);
    expect(JSON.stringify(dm?.blocks)).toContain("Acknowledged by csm@acme.test");
    expect(h.fakes.slack.inChannel("C0ALERTS")).toHaveLength(0);

    h.clock.advance(5_000);
    await deliverOne(h, { id: "slack.recovery:a1", customerId: "cu_a1", payload: { type: "slack.recovery", customerId: "cu_a1", customerName: "Customer a1", score: 80, alertActionId: "a1" } });
    const replies = h.fakes.slack.inDm("U0ANA").filter((m) => m.thread_ts === posted.result!.ts);
    expect(replies).toHaveLength(1);
  });

  it("an Acknowledge click in the owner's DM updates that DM message", async () => {
    const h = harness();
    configure(h, { mode: "dm" });
    const posted = await deliverOne(h, alert("a3", OWNER));
    const [dm] = h.fakes.slack.inDm("U0ANA");
    const res = await signedClick({ channel: "D0ANA", ts: dm!.ts, text: dm!.text, blocks: dm!.blocks!, value: "a3" });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const update = h.fakes.slack.requests.find((r) => r.path.endsWith("/chat.update"));
    expect(JSON.parse(update!.body)).toMatchObject({ channel: "D0ANA", ts: posted.result!.ts });
    expect(JSON.stringify(dm!.blocks)).toContain("Acknowledged by <@U0ANA>");
    expect(await env.DB.prepare(`SELECT status FROM alert_states WHERE action_id = 'a3'`).first("status")).toBe("acknowledged");
  });

  it("an alert that fell back is updated in the fallback channel", async () => {
    const h = harness();
    configure(h, { owners: { "71002": "C0GONE" } });
    const posted = await deliverOne(h, alert("a2", OWNER));
    h.clock.advance(5_000);
    const alertPayload = await payloadOf("a2");
    await deliverOne(h, { id: "slack.alert_update:act2", customerId: "cu_a2", payload: { type: "slack.alert_update", alertActionId: "a2", actor: "csm@acme.test", snoozedUntil: null, alert: alertPayload } });
    const update = h.fakes.slack.requests.find((r) => r.path.endsWith("/chat.update"));
    expect(JSON.parse(update!.body)).toMatchObject({ channel: "C0ALERTS", ts: posted.result!.ts });
    expect(h.fakes.slack.inChannel("C0ALERTS")[0]?.edited).toBe(true);
  });
});

async function payloadOf(id: string) {
  return slackAlertSchema.parse(JSON.parse((await env.DB.prepare(`SELECT payload FROM outbox WHERE id = ?`).bind(id).first<string>("payload"))!));
}

/** A signed Slack block_actions click, as Slack sends it from the channel the message is in. */
async function signedClick(m: { channel: string; ts: string; text: string; blocks: unknown[]; value: string }) {
  const payload = { type: "block_actions", user: { id: "U0ANA" }, channel: { id: m.channel }, message: { ts: m.ts, text: m.text, blocks: m.blocks }, actions: [{ action_id: "ack_alert", value: m.value }] };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = Math.floor(Date.now() / 1000);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("8f742231b10e8888abcd99yyyzzz85a5"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${ts}:${body}`)));
  const signature = `v0=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  return SELF.fetch(`${ORIGIN}/slack/events`, { method: "POST", body, headers: { "x-slack-request-timestamp": String(ts), "x-slack-signature": signature, "content-type": "application/x-www-form-urlencoded" } });
}
