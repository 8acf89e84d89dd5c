import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../support/drain";
import { alertPayload } from "./support";

const DAY = 86_400_000;
const NOW = Date.now();
const URL = "https://tenure.example.com/api/alerts/noise";

/**
 * Six customers: three alerted for entered_red 100 days ago (one churned 30 days after, one 95 days after,
 * one stayed), one with a payment_failed alert held for the digest, and two never alerted (one churned 70 days
 * ago, inside the alerted windows). Alerts that never reached anyone (superseded, failed) do not count.
 */
beforeAll(async () => {
  const customer = (id: string, stage: string, stageSince: number | null) =>
    env.DB.prepare(`INSERT INTO customers (id, name, state, stage, stage_since, created_at, updated_at) VALUES (?, ?, '{}', ?, ?, ?, ?)`).bind(id, id, stage, stageSince, NOW, NOW);
  const churn = (id: string, at: number) => env.DB.prepare(`INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage) VALUES (?, ?, 'renewal', 'churned')`).bind(id, at);
  const alert = (id: string, customerId: string, rule: string, status: string, at: number, result: unknown = null) =>
    env.DB.prepare(
      `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at, result) VALUES (?, ?, 'slack', 'slack.alert', ?, ?, 1, ?, ?, ?, ?)`,
    ).bind(id, customerId, JSON.stringify(alertPayload(customerId, rule, "x")), status, at, at, at, result === null ? null : JSON.stringify(result));
  await env.DB.batch([
    customer("nz_a", "churned", NOW - 70 * DAY),
    customer("nz_b", "churned", NOW - 5 * DAY),
    customer("nz_c", "renewal", null),
    customer("nz_d", "renewal", null),
    customer("nz_e", "churned", NOW - 70 * DAY),
    customer("nz_f", "renewal", null),
    churn("nz_a", NOW - 70 * DAY),
    churn("nz_b", NOW - 5 * DAY),
    // nz_e has no transition row: its stage_since stands in.
    alert("slack.alert:entered_red:nz_a:1", "nz_a", "entered_red", "delivered", NOW - 100 * DAY, { channel: "C0ALERTS", ts: "1.1" }),
    alert("slack.alert:entered_red:nz_a:2", "nz_a", "entered_red", "delivered", NOW - 95 * DAY, { channel: "C0ALERTS", ts: "1.2" }),
    alert("slack.alert:entered_red:nz_b:1", "nz_b", "entered_red", "delivered", NOW - 100 * DAY, { channel: "C0ALERTS", ts: "1.3" }),
    alert("slack.alert:entered_red:nz_c:1", "nz_c", "entered_red", "delivered", NOW - 100 * DAY, { channel: "D0ANA", ts: "1.4", route: "owner_dm" }),
    alert("slack.alert:payment_failed:nz_d:1", "nz_d", "payment_failed", "skipped", NOW - 100 * DAY, { heldFor: "digest" }),
    alert("slack.alert:entered_red:nz_f:1", "nz_f", "entered_red", "skipped", NOW - 100 * DAY),
    alert("slack.alert:score_drop:nz_f:1", "nz_f", "score_drop", "failed", NOW - 100 * DAY),
  ]);
});

describe("GET /api/alerts/noise", () => {
  it("reports per rule the alerts sent, precision against churn within the horizon, and lift over the accounts left alone", async () => {
    const res = await SELF.fetch(`${URL}?horizonDays=90`, { headers: ADMIN });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { horizonDays: number; accounts: number; capped: boolean; rules: Record<string, unknown>[]; any: Record<string, unknown> };
    expect(body).toMatchObject({ horizonDays: 90, accounts: 6, capped: false });
    expect(body.rules.map((r) => r.rule)).toEqual(["entered_red", "payment_failed"]);
    const red = body.rules[0]!;
    // nz_a churned 30 days after its first alert; nz_b 95 days after (outside); nz_c stayed. Left alone: d, e, f; e churned 30 days in.
    expect(red).toMatchObject({ alertsFired: 4, accountsAlerted: 3, alertedChurned: 1, nonAlertedAccounts: 3, nonAlertedChurned: 1, censored: 0 });
    expect(red.precision).toBeCloseTo(1 / 3, 10);
    expect(red.baseRate).toBeCloseTo(1 / 3, 10);
    expect(red.lift).toBeCloseTo(1, 10);
    expect(body.rules[1]).toMatchObject({ rule: "payment_failed", alertsFired: 1, accountsAlerted: 1, alertedChurned: 0, precision: 0 });
    expect(body.any).toMatchObject({ rule: "any", alertsFired: 5, accountsAlerted: 4 });
  });

  it("a shorter horizon counts fewer churns", async () => {
    const body = (await (await SELF.fetch(`${URL}?horizonDays=20`, { headers: ADMIN })).json()) as { rules: Record<string, unknown>[] };
    expect(body.rules[0]).toMatchObject({ rule: "entered_red", alertedChurned: 0, nonAlertedChurned: 0, precision: 0 });
  });

  it("refuses a bad horizon or an unknown parameter with a 400, and a missing token with a 401", async () => {
    for (const q of ["horizonDays=0", "horizonDays=731", "horizonDays=ninety", "horizonDays=1.5", "horizon=90"]) {
      const res = await SELF.fetch(`${URL}?${q}`, { headers: ADMIN });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
    }
    expect((await SELF.fetch(URL)).status).toBe(401);
  });
});
