import { env } from "cloudflare:test";

/** A planned slack.alert as the planner writes it, straight into the outbox. */
export function alertPayload(customerId: string, rule: string, summary: string, extra: Record<string, unknown> = {}) {
  return {
    type: "slack.alert",
    rule,
    customerId,
    customerName: `Customer ${customerId}`,
    score: 30,
    band: "red",
    previousScore: 70,
    previousBand: "green",
    drivers: [{ factor: "payment_failed", impact: -6, detail: "One failed payment" }],
    mrr: 12_000,
    currency: "usd",
    renewalDate: null,
    summary,
    ...extra,
  };
}

/** A customer whose current state still bears out a red alert, so the outbox posts it rather than skipping it. */
export async function seedCustomer(id: string, name: string) {
  const now = Date.now();
  await env.DB.prepare(`INSERT INTO customers (id, name, state, score, band, stage, created_at, updated_at) VALUES (?, ?, '{}', 30, 'red', 'renewal', ?, ?) ON CONFLICT DO NOTHING`)
    .bind(id, name, now, now)
    .run();
}

export async function seedAlert(
  id: string,
  customerId: string,
  rule: string,
  summary: string,
  o: { at?: number; status?: string; result?: unknown; extra?: Record<string, unknown> } = {},
) {
  const at = o.at ?? Date.now();
  await env.DB.prepare(
    `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at, result)
     VALUES (?, ?, 'slack', 'slack.alert', ?, ?, 0, ?, ?, ?, ?)`,
  )
    .bind(id, customerId, JSON.stringify(alertPayload(customerId, rule, summary, o.extra)), o.status ?? "delivered", at, at, at, o.result === undefined ? null : JSON.stringify(o.result))
    .run();
}

export async function seedRecovery(alertId: string, customerId: string, at = Date.now()) {
  const payload = { type: "slack.recovery", customerId, customerName: `Customer ${customerId}`, score: 80, alertActionId: alertId };
  await env.DB.prepare(
    `INSERT INTO outbox (id, customer_id, destination, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, 'slack', 'slack.recovery', ?, 'delivered', 1, ?, ?, ?)`,
  )
    .bind(`slack.recovery:${alertId}`, customerId, JSON.stringify(payload), at, at, at)
    .run();
}

/** The rows of the Alerts page, in page order, as [account, alert id] pairs. */
export function rowsOf(html: string): { account: string; id: string }[] {
  const out: { account: string; id: string }[] = [];
  for (const section of html.split('<section class="account"').slice(1)) {
    const account = /data-account="([^"]*)"/.exec(section)?.[1] ?? "";
    for (const m of section.matchAll(/<tr data-action-id="([^"]+)"/g)) out.push({ account, id: m[1]! });
  }
  return out;
}
