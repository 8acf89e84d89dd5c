import { env, SELF } from "cloudflare:test";
import { portfolio, transitions } from "../metrics/dataset";

export const ORIGIN = "https://tenure.example.com";
export const ADMIN_TOKEN = "test-admin-token-0123456789";
const DAY = 86_400_000;

export const scores: Record<string, number> = { A: 82, B: 61, C: 30, D: 77, E: 55, G: 20 };

/** The metrics portfolio plus score history, outbox rows and loyalty rows, written straight to D1. */
export async function seed(): Promise<void> {
  const now = Date.now();
  const alert = (id: string, customerId: string, status: string, summary: string) =>
    env.DB.prepare(
      `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, last_error, created_at, updated_at) VALUES (?, ?, 'slack', 'slack.alert', ?, ?, 3, ?, ?, ?, ?)`,
    ).bind(
      id,
      customerId,
      JSON.stringify({ type: "slack.alert", rule: "payment_failed", customerId, customerName: `Customer ${customerId}`, score: 30, band: "red", previousScore: null, previousBand: null, drivers: [], mrr: 0, renewalDate: null, summary }),
      status,
      now,
      status === "failed" ? "channel_not_found" : null,
      now - 1000,
      now - 1000,
    );
  await env.DB.batch([
    ...portfolio().map((c) =>
      env.DB.prepare(
        `INSERT INTO customers (id, name, state, score, band, stage, health, mrr, currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'usd', ?, ?)`,
      ).bind(
        c.id,
        c.name,
        JSON.stringify(c.state),
        scores[c.id] ?? null,
        c.band,
        c.stage,
        JSON.stringify({ score: scores[c.id], components: { billing: 80, support: 40, usage: null }, drivers: [{ factor: "payment_failed", impact: -6, detail: "One failed payment" }], trend: { d7: c.id === "A" ? 4 : -2, d30: null }, snapshot: { segments: c.segments, renewalDate: now + (c.id === "B" ? 10 : 40) * DAY } }),
        c.mrr,
        now,
        now,
      ),
    ),
    ...transitions.map((t) => env.DB.prepare(`INSERT INTO stage_transitions (customer_id, at, from_stage, to_stage) VALUES (?, ?, ?, ?)`).bind(t.customerId, t.at, t.from, t.to)),
    ...Object.entries(scores).flatMap(([id, score]) => [
      env.DB.prepare(`INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version) VALUES (?, ?, ?, 'yellow', 'renewal', '{}', 'v')`).bind(id, now - 20 * DAY, score - 5),
      env.DB.prepare(`INSERT INTO score_history (customer_id, at, score, band, stage, components, model_version) VALUES (?, ?, ?, 'yellow', 'renewal', '{}', 'v')`).bind(id, now - 2 * DAY, score),
    ]),
    alert("slack.alert:payment_failed:A:in_1:1", "A", "failed", "Customer A: payment failed (attempt 1)."),
    alert("slack.alert:payment_failed:B:in_2:1", "B", "delivered", "Customer B: payment failed (attempt 1)."),
    env.DB.prepare(
      `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, last_error, created_at, updated_at) VALUES ('hubspot.properties:123', 'C', 'hubspot', 'hubspot.properties', ?, 'dead', 20, ?, '503 from HubSpot', ?, ?)`,
    ).bind(JSON.stringify({ type: "hubspot.properties", companyId: "123", properties: { tenure_health_score: "30" } }), now, now - 5000, now - 5000),
    env.DB.prepare(`INSERT INTO loyalty_members (customer_id, enrolled_at, via) VALUES ('A', ?, 'earn')`).bind(now - 30 * DAY),
    env.DB.prepare(`INSERT INTO loyalty_ledger (id, customer_id, entry, kind, points, rules_version, at) VALUES ('points:A:review:1', 'A', 'points.earned', 'review_submitted', 120, 'r1', ?)`).bind(now - 3 * DAY),
  ]);
}

/** Logs in through the form and returns the Cookie header value and the page's CSRF token. */
export async function login(origin = ORIGIN): Promise<{ cookie: string; csrf: string }> {
  const res = await SELF.fetch(`${origin}/login`, { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  const page = await SELF.fetch(`${origin}/`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  return { cookie, csrf };
}

export function post(path: string, cookie: string, form: Record<string, string>) {
  return SELF.fetch(`${ORIGIN}${path}`, { method: "POST", body: new URLSearchParams(form), headers: { cookie }, redirect: "manual" });
}
