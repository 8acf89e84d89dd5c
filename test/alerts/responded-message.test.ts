import { describe, expect, it } from "vitest";
import { buildAlertMessage } from "../../connectors/slack/alert-message";
import { buildRespondedMessage } from "../../connectors/slack/replies";
import { slackAlertSchema } from "../../src/core/actions";
import { textOf } from "../../connectors/slack/mrkdwn";
import { alertPayload } from "./support";

const alert = buildAlertMessage(slackAlertSchema.parse(alertPayload("cu_1", "entered_red", "Dropped <!channel> & more")), { actionId: "slack.alert:x", channel: "C1", now: 0 });

describe("buildRespondedMessage", () => {
  it("drops the buttons, keeps the alert, and names a dashboard actor as escaped text", () => {
    const m = buildRespondedMessage(alert.blocks, alert.text, { by: { name: "<@U1> & co" }, snoozedUntil: null });
    expect(m.blocks.some((b) => b.type === "actions")).toBe(false);
    expect(m.blocks.slice(0, -1)).toEqual(alert.blocks.filter((b) => b.type !== "actions"));
    const note = JSON.stringify(m.blocks.at(-1));
    expect(note).toContain("Acknowledged by &lt;@U1&gt; &amp; co");
    expect(textOf(m.text)).toMatch(/\(acknowledged\)$/);
  });

  it("mentions a Slack user and says until when a snooze lasts", () => {
    const until = Date.UTC(2026, 11, 13);
    const m = buildRespondedMessage(alert.blocks, alert.text, { by: { slackUserId: "U0CSM" }, snoozedUntil: until });
    expect(JSON.stringify(m.blocks.at(-1))).toContain(`Snoozed until <!date^${until / 1000}^{date_short_pretty}|2026-12-13> by <@U0CSM>`);
    expect(textOf(m.text)).toMatch(/\(snoozed\)$/);
  });
});
