import { describe, expect, it } from "vitest";
import { slackConnector, updateAlertMessage } from "../../connectors/slack";
import { classifySlackError } from "../../connectors/slack/api";
import { mrkdwn } from "../../connectors/slack/mrkdwn";
import type { AlertPayload, RecoveryPayload } from "../../connectors/slack/alert-message";
import { action, START, useFakes } from "./harness";

const alertPayload = (over: Partial<AlertPayload> = {}): AlertPayload => ({
  type: "slack.alert",
  rule: "score_drop",
  customerId: "cust_1",
  customerName: "Acme Corp",
  score: 48,
  band: "yellow",
  previousScore: 74,
  previousBand: "green",
  drivers: [{ factor: "usage", impact: -20, detail: "Weekly active users down 60%" }],
  mrr: 99_00,
  renewalDate: null,
  summary: "Usage fell sharply.",
  ...over,
});
const recovery = (alertActionId: string): RecoveryPayload => ({
  type: "slack.recovery", customerId: "cust_1", customerName: "Acme Corp", score: 81, alertActionId,
});

describe("slack connector", () => {
  const h = useFakes({ slack: { users: { "ana@example.com": "U0ANA" } } });

  it("posts the alert to the alert channel, mentioning the owner, and returns {channel, ts}", async () => {
    const { fakes, deps, cfg } = h();
    const a = action(alertPayload({ ownerEmail: "ana@example.com" }));
    const [out] = await slackConnector.deliver([a], deps);
    const posted = fakes.slack.inChannel(cfg.SLACK_ALERT_CHANNEL!);
    expect(posted).toHaveLength(1);
    expect(out).toEqual({ id: a.id, status: "delivered", result: { channel: cfg.SLACK_ALERT_CHANNEL, ts: posted[0]!.ts } });
    expect(JSON.stringify(posted[0]!.blocks)).toContain("<@U0ANA>");
    expect(posted[0]!.text).toContain("Acme Corp");
  });

  it("finds the owner through the HubSpot company owner (hubspot_owner_id -> owner email -> Slack user)", async () => {
    const { fakes, deps } = h();
    fakes.hubspot.owners.set("80245561", { email: "ana@example.com", firstName: "Ana" });
    const [out] = await slackConnector.deliver([action(alertPayload({ hubspotOwnerId: "80245561" }))], deps);
    expect(out!.status).toBe("delivered");
    expect(JSON.stringify(fakes.slack.messages[0]!.blocks)).toContain("<@U0ANA>");
  });

  it("still delivers, without a mention, when the owner's email matches no Slack user", async () => {
    const { fakes, deps } = h();
    const [out] = await slackConnector.deliver([action(alertPayload({ ownerEmail: "nobody@example.com" }))], deps);
    expect(out!.status).toBe("delivered");
    expect(JSON.stringify(fakes.slack.messages[0]!.blocks)).not.toContain("<@");
  });

  it("threads a recovery under its alert using the stored result", async () => {
    const { fakes, deps, advance } = h();
    const alert = action(alertPayload());
    const [sent] = await slackConnector.deliver([alert], deps);
    advance(5_000);
    const results = new Map([[alert.id, sent!.status === "delivered" ? sent!.result : undefined]]);
    const [out] = await slackConnector.deliver([action(recovery(alert.id))], { ...deps, lookupResult: async (id) => results.get(id) });
    expect(out!.status).toBe("delivered");
    expect(fakes.slack.messages[1]).toMatchObject({ thread_ts: fakes.slack.messages[0]!.ts, text: "Acme Corp recovered: health is back to 81" });
  });

  it("posts a recovery at top level when the alert's message is unknown", async () => {
    const { fakes, deps } = h();
    const [out] = await slackConnector.deliver([action(recovery("act_never_sent"))], { ...deps, lookupResult: async () => undefined });
    expect(out!.status).toBe("delivered");
    expect(fakes.slack.messages[0]).not.toHaveProperty("thread_ts");
  });

  it("tags every post with its action id in message metadata", async () => {
    const { fakes, deps } = h();
    const a = action(alertPayload());
    await slackConnector.deliver([a], deps);
    expect(fakes.slack.messages[0]!.metadata).toEqual({ event_type: "tenure_action", event_payload: { action_id: a.id } });
  });

  describe("after an attempt that ended without an outcome (a crash after Slack answered)", () => {
    const unconfirmed = <T extends ReturnType<typeof action>>(a: T, createdAt: number): T => ({ ...a, unconfirmed: true, createdAt });

    it("finds the earlier alert by its metadata and does not post it again", async () => {
      const { fakes, deps, cfg, advance } = h();
      const a = action(alertPayload());
      const createdAt = deps.now();
      const [first] = await slackConnector.deliver([a], deps);
      // Other alerts land in the channel meanwhile.
      for (let i = 0; i < 3; i++) {
        advance(1_000);
        await slackConnector.deliver([action(alertPayload({ customerName: `Other ${i}` }))], deps);
      }
      advance(60_000);
      const [again] = await slackConnector.deliver([unconfirmed(a, createdAt)], deps);
      expect(again).toEqual(first);
      expect(fakes.slack.inChannel(cfg.SLACK_ALERT_CHANNEL!)).toHaveLength(4);
      const search = fakes.slack.requests.filter((r) => r.path.includes("conversations.history"));
      expect(search).toHaveLength(1);
      expect(new URL(`https://x${search[0]!.path}`).searchParams.get("include_all_metadata")).toBe("true");
    });

    it("posts once when the earlier attempt never reached Slack", async () => {
      const { fakes, deps, cfg } = h();
      const a = unconfirmed(action(alertPayload()), deps.now());
      const [out] = await slackConnector.deliver([a], deps);
      expect(out!.status).toBe("delivered");
      expect(fakes.slack.inChannel(cfg.SLACK_ALERT_CHANNEL!)).toHaveLength(1);
    });

    it("looks in the alert's thread for a recovery", async () => {
      const { fakes, deps, advance } = h();
      const alert = action(alertPayload());
      const [sent] = await slackConnector.deliver([alert], deps);
      advance(5_000);
      const withAlert = { ...deps, lookupResult: async () => (sent!.status === "delivered" ? sent!.result : undefined) };
      const rec = action(recovery(alert.id));
      const createdAt = deps.now();
      const [first] = await slackConnector.deliver([rec], withAlert);
      advance(5_000);
      const [again] = await slackConnector.deliver([unconfirmed(rec, createdAt)], withAlert);
      expect(again).toEqual(first);
      expect(fakes.slack.messages).toHaveLength(2);
      expect(fakes.slack.requests.filter((r) => r.path.includes("conversations.replies"))).toHaveLength(1);
    });

    it("waits rather than posts blind when the search is rate limited", async () => {
      const { fakes, deps } = h();
      fakes.slack.failNext(1, 429);
      const [out] = await slackConnector.deliver([unconfirmed(action(alertPayload()), deps.now())], deps);
      expect(out).toMatchObject({ status: "retry", httpStatus: 429 });
      expect(fakes.slack.messages).toHaveLength(0);
    });
  });

  it("treats ok:false channel_not_found and invalid_auth as permanent", async () => {
    const { deps, cfg } = h();
    const noChannel = { ...deps, cfg: { ...cfg, SLACK_ALERT_CHANNEL: "C0GONE" } };
    expect((await slackConnector.deliver([action(alertPayload())], noChannel))[0]).toMatchObject({
      status: "permanent", httpStatus: 200, error: "Slack chat.postMessage: channel_not_found",
    });
    const badToken = { ...deps, cfg: { ...cfg, SLACK_BOT_TOKEN: "xoxb-revoked" } };
    expect((await slackConnector.deliver([action(alertPayload())], badToken))[0]).toMatchObject({ status: "permanent" });
  });

  it("on 429 retries after Retry-After and holds back the rest of the batch", async () => {
    const { fakes, deps } = h();
    const actions = [action(alertPayload()), action(alertPayload({ customerName: "Beta" })), action(alertPayload({ customerName: "Gamma" }))];
    const out = await slackConnector.deliver(actions, deps);
    expect(out.map((o) => o.status)).toEqual(["delivered", "retry", "retry"]);
    expect(out[1]).toMatchObject({ httpStatus: 429, retryAfterMs: 1_000 });
    expect(out[2]).toMatchObject({ retryAfterMs: 1_000 });
    expect(fakes.slack.requests.filter((r) => r.path.endsWith("chat.postMessage"))).toHaveLength(2);
  });

  it("retries an HTTP 5xx", async () => {
    const { fakes, deps } = h();
    fakes.slack.failNext(1, 503);
    expect((await slackConnector.deliver([action(alertPayload())], deps))[0]).toMatchObject({ status: "retry", httpStatus: 503 });
  });

  it("updates a posted alert with chat.update", async () => {
    const { fakes, deps } = h();
    const [sent] = await slackConnector.deliver([action(alertPayload())], deps);
    const { channel, ts } = (sent as { result: { channel: string; ts: string } }).result;
    const blocks = [{ type: "section" as const, text: { type: "mrkdwn" as const, text: "Acknowledged by <@U0ANA>" } }];
    expect(await updateAlertMessage(deps, { channel, ts, text: mrkdwn`Acknowledged`, blocks })).toEqual({ ok: true, channel, ts });
    expect(fakes.slack.messages[0]).toMatchObject({ text: "Acknowledged", edited: true });
    expect(await updateAlertMessage(deps, { channel, ts: "1.1", text: mrkdwn`x`, blocks })).toMatchObject({ ok: false, status: "permanent" });
  });

  it("is disabled without a token or an alert channel", () => {
    const { cfg } = h();
    expect(slackConnector.disabledReason(cfg)).toBeNull();
    expect(slackConnector.disabledReason({ ...cfg, SLACK_ALERT_CHANNEL: undefined })).toContain("SLACK_ALERT_CHANNEL");
    expect(slackConnector.disabledReason({ ...cfg, SLACK_BOT_TOKEN: undefined })).toContain("SLACK_BOT_TOKEN");
  });
});

describe("classifySlackError", () => {
  const res = new Response(null, { headers: { "retry-after": "3" } });
  it.each([
    ["ratelimited", "retry"],
    ["channel_not_found", "permanent"],
    ["not_in_channel", "permanent"],
    ["invalid_auth", "permanent"],
    ["account_inactive", "permanent"],
    ["token_revoked", "permanent"],
    ["no_permission", "permanent"],
    ["invalid_blocks", "permanent"],
    ["internal_error", "retry"],
    ["fatal_error", "retry"],
  ])("%s is %s", (code, status) => {
    expect(classifySlackError("chat.postMessage", code, res, START).status).toBe(status);
  });
  it("honours Retry-After on ok:false ratelimited", () => {
    expect(classifySlackError("chat.postMessage", "ratelimited", res, START)).toMatchObject({ retryAfterMs: 3_000 });
  });
});
