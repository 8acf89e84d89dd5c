import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { supersededAlerts } from "../../src/outbox/alert-check";
import type { OutboxRow } from "../../src/store/outbox";

const row = (id: string, payload: Record<string, unknown>): OutboxRow => ({ id, customerId: "cu_ac", payload, attempts: 0, unconfirmed: false, createdAt: 0, updatedAt: 0 }) as unknown as OutboxRow;

describe("alerts checked again before posting", () => {
  it("skips an alert the customer's state no longer bears out, and the recovery that would answer it", async () => {
    await env.DB.prepare(
      `INSERT INTO customers (id, state, score, band, stage, health, created_at, updated_at) VALUES ('cu_ac', '{}', 86, 'green', 'loyalty', '{"snapshot":{"firstValueMissed":false}}', 0, 0)`,
    ).run();
    const drop = row("slack.alert:score_drop:cu_ac:d", { type: "slack.alert", rule: "score_drop", score: 60, previousScore: 80, customerId: "cu_ac" });
    const red = row("slack.alert:entered_red:cu_ac:r", { type: "slack.alert", rule: "entered_red", score: 40, previousScore: 60, customerId: "cu_ac" });
    const recovery = row("slack.recovery:slack.alert:score_drop:cu_ac:d", { type: "slack.recovery", customerId: "cu_ac", alertActionId: drop.id });
    const out = await supersededAlerts(env.DB, [drop, red, recovery]);
    expect(out.get(drop.id)).toBe("superseded before posting: now green at 86");
    expect(out.get(red.id)).toBe("superseded before posting: now green at 86");
    expect(out.get(recovery.id)).toBe("the alert it answers was never posted");
    await env.DB.prepare(`UPDATE customers SET band = 'red', score = 40 WHERE id = 'cu_ac'`).run();
    const now = await supersededAlerts(env.DB, [red]);
    expect(now.size).toBe(0);
  });
});
