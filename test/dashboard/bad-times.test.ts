import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { emptyState } from "../../src/core/state";
import { ADMIN } from "../support/drain";
import { ORIGIN, login } from "./seed";

/**
 * A customer stored before ingest refused implausible times: every time in its row is beyond what a Date
 * can hold (8.7e15 ms, a Stripe seconds field taken for seconds twice). Its pages must still render.
 */
const ABSURD = 8_700_000_000_000_000;
const ID = "Z";

async function seedAbsurdCustomer(): Promise<void> {
  const now = Date.now();
  const state = emptyState() as any;
  state.billing.subscriptions.sZ = { status: "active", mrr: 4900, currency: "usd", cancelAtPeriodEnd: true, startedAt: ABSURD, currentPeriodEnd: ABSURD, cancelAt: ABSURD, at: ABSURD, by: "ev" };
  state.billing.invoices.iZ = { reason: "first", amountPaid: 4900, currency: "usd", paidAt: ABSURD, subscriptionId: "sZ" };
  state.support.tickets["zendesk:9"] = { desk: "zendesk", statusLog: { ev: { status: "open", at: ABSURD } }, slaBreached: false, openedAt: ABSURD, tags: [], subject: "From the far future" };
  state.usage.events["Report Exported"] = { firstAt: ABSURD, lastAt: ABSURD, users: ["u1"] };
  state.sentiment.responses.rZ = { score: 9, at: ABSURD, by: "ev" };
  const health = {
    score: 40,
    band: "red",
    components: { billing: 40 },
    drivers: [{ factor: "billing.cancel_scheduled", impact: -10, detail: "cancellation scheduled" }],
    trend: { d7: null, d30: null },
    snapshot: { segments: [], renewalDate: ABSURD },
  };
  const actionPayload = { type: "slack.alert", rule: "band_drop", customerId: ID, customerName: "Zeno", score: 40, band: "red", previousScore: null, previousBand: null, drivers: [], mrr: 4900, renewalDate: ABSURD, summary: "Zeno dropped to red." };
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO customers (id, name, state, score, band, stage, stage_since, health, mrr, currency, created_at, updated_at, scored_at) VALUES (?, 'Zeno', ?, 40, 'red', 'renewal', ?, ?, 4900, 'usd', ?, ?, ?)`,
    ).bind(ID, JSON.stringify(state), ABSURD, JSON.stringify(health), now, ABSURD, ABSURD),
    env.DB.prepare(`INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version) VALUES (?, ?, 40, 'red', 'renewal', '{}', 'v')`).bind(ID, ABSURD),
    env.DB.prepare(`INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage) VALUES (?, ?, 'purchase', 'renewal')`).bind(ID, ABSURD),
    env.DB.prepare(
      `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, last_error, created_at, updated_at) VALUES ('slack.alert:band_drop:Z', ?, 'slack', 'slack.alert', ?, 'failed', 3, ?, 'channel_not_found', ?, ?)`,
    ).bind(ID, JSON.stringify(actionPayload), ABSURD, ABSURD, ABSURD),
  ]);
}

let cookie = "";
beforeAll(async () => {
  await seedAbsurdCustomer();
  cookie = (await login()).cookie;
});

describe("a stored row holding times no Date can hold", () => {
  it("renders its customer page with 200, showing the raw value where a date would be", async () => {
    const res = await SELF.fetch(`${ORIGIN}/customers/${ID}`, { headers: { cookie }, redirect: "manual" });
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(200);
    expect(html).toContain("From the far future");
    expect(html).toContain(`<tr><th>Renewal</th><td>${ABSURD}</td></tr>`);
  });

  it("renders every dashboard page that lists it with 200", async () => {
    for (const path of ["/", "/portfolio", "/alerts", "/outbox?status=failed"]) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: "manual" });
      expect(res.status, `${path}: ${(await res.text()).slice(0, 300)}`).toBe(200);
    }
  });

  it("answers the customers API, the customer and the metrics with 200", async () => {
    for (const path of ["/api/customers", `/api/customers/${ID}`, "/api/metrics", "/api/actions?status=failed"]) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: ADMIN });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    }
    const one = await (await SELF.fetch(`${ORIGIN}/api/customers/${ID}`, { headers: ADMIN })).json<{ renewalDate: number }>();
    expect(one.renewalDate).toBe(ABSURD);
  });
});

describe("times in a query beyond what a Date can hold", () => {
  it("the overview ignores them and shows the default window", async () => {
    const res = await SELF.fetch(`${ORIGIN}/overview?from=9000000000000000&to=9000000086400000`, { headers: { cookie }, redirect: "manual" });
    expect(res.status).toBe(200);
  });

  it("the metrics API answers 400 naming the value", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/metrics?from=9000000000000000&to=9000000086400000`, { headers: ADMIN });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { message: string } }>()).error.message).toContain("9000000000000000");
  });
});
