import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildAlertMessage, buildRecoveryMessage } from "../../connectors/slack";
import { formatMoney, type AlertPayload } from "../../connectors/slack/alert-message";
import { validateBlocks } from "../fakes/slack-blocks";

const NOW = Date.UTC(2026, 9, 1, 12);

const alert = (over: Partial<AlertPayload> = {}): AlertPayload => ({
  type: "slack.alert",
  rule: "entered_red",
  customerId: "cust_1",
  customerName: "Acme Corp",
  score: 42,
  band: "red",
  previousScore: 71,
  previousBand: "yellow",
  drivers: [
    { factor: "payments", impact: -18, detail: "Payment failed twice" },
    { factor: "tickets", impact: -9.5, detail: "3 urgent tickets" },
  ],
  mrr: 420_000,
  currency: "usd",
  renewalDate: NOW + 28 * 86_400_000,
  hubspotCompanyId: "1001",
  summary: "Two failed payments and a ticket spike.",
  ...over,
});

const opts = { actionId: "act_alert_1", channel: "C0ALERTS", now: NOW };
const allText = (m: ReturnType<typeof buildAlertMessage>) => JSON.stringify(m.blocks);

describe("buildAlertMessage", () => {
  it("builds header, score change, facts, drivers and the two buttons, with a plain-text fallback", () => {
    const m = buildAlertMessage(alert(), { ...opts, ownerSlackId: "U0ANA", hubspotPortalId: "123" });
    expect(m.channel).toBe("C0ALERTS");
    expect(m.text).toBe("Account entered red: Acme Corp, health 42 (red) (was 71, yellow)");
    expect(m.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "context", "actions"]);
    const text = allText(m);
    expect(text).toContain("*42*");
    expect(text).toContain("was 71, yellow");
    expect(text).toContain("$4,200.00/mo");
    expect(text).toContain("(in 28 days)");
    expect(text).toContain("<@U0ANA>");
    expect(text).toContain("Payment failed twice (−18)");
    expect(text).toContain("https://app.hubspot.com/contacts/123/company/1001");
    const actions = m.blocks.at(-1)!;
    expect(actions.type === "actions" && actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ["ack_alert", "act_alert_1"],
      ["snooze_alert", "act_alert_1"],
    ]);
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it("omits the HubSpot link without a portal id, and shows the owner's email when no Slack user matched", () => {
    const m = buildAlertMessage(alert({ ownerEmail: "ana@example.com" }), opts);
    expect(allText(m)).not.toContain("app.hubspot.com");
    expect(allText(m)).toContain("ana@example.com");
    expect(allText(m)).not.toContain("<@");
  });

  it("escapes Slack's control characters in customer-supplied text", () => {
    const m = buildAlertMessage(alert({ customerName: "<!channel> & Sons", summary: "<https://evil|click>" }), opts);
    const section = m.blocks[1]!;
    expect(section.type === "section" && section.text?.text).toContain("&lt;!channel&gt; &amp; Sons");
    // Slack parses mentions and links only in mrkdwn; the plain_text header shows them literally.
    const mrkdwn = JSON.stringify(m.blocks.slice(1));
    expect(mrkdwn).not.toContain("<!channel>");
    expect(mrkdwn).not.toContain("<https://evil");
  });

  it("stays inside Block Kit limits for oversized input", () => {
    const m = buildAlertMessage(
      alert({
        customerName: "N".repeat(400),
        summary: "s".repeat(10_000),
        drivers: Array.from({ length: 200 }, (_, i) => ({ factor: `f${i}`, impact: -i, detail: "d".repeat(900) })),
      }),
      opts,
    );
    const header = m.blocks[0]!;
    expect(header.type === "header" && [...header.text.text].length).toBeLessThanOrEqual(150);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    expect(m.text.length).toBeLessThanOrEqual(3000);
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it("never produces a message Slack would refuse (property)", () => {
    const driver = fc.record({ factor: fc.string(), impact: fc.double({ noNaN: true, min: -100, max: 100 }), detail: fc.string({ maxLength: 4000 }) });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 500 }),
        fc.string({ maxLength: 5000 }),
        fc.array(driver, { maxLength: 20 }),
        fc.constantFrom(...(["entered_red", "score_drop", "first_value_missed", "cancel_scheduled", "payment_failed"] as const)),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
        (customerName, summary, drivers, rule, previousScore) => {
          const m = buildAlertMessage(alert({ customerName, summary, drivers, rule, previousScore }), opts);
          expect(validateBlocks(m.blocks)).toEqual([]);
          expect(m.text.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("buildRecoveryMessage", () => {
  it("threads under the alert when its ts is known", () => {
    const p = { type: "slack.recovery" as const, customerId: "c", customerName: "Acme", score: 78, alertActionId: "a" };
    expect(buildRecoveryMessage(p, { channel: "C1", threadTs: "1.000001" })).toMatchObject({ thread_ts: "1.000001", text: "Acme recovered: health is back to 78" });
    expect(buildRecoveryMessage(p, { channel: "C1" })).not.toHaveProperty("thread_ts");
  });
});

describe("formatMoney", () => {
  it("reads minor units per currency", () => {
    expect(formatMoney(420_000, "usd")).toBe("$4,200.00");
    expect(formatMoney(4_200, "jpy")).toBe("¥4,200");
    expect(formatMoney(1_000, "dollars")).toBe("10.00 DOLLARS");
  });
});
