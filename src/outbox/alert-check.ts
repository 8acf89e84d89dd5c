import type { OutboxRow } from "../store/outbox";

type AlertPayload = { type: "slack.alert"; rule: string; score: number; previousScore: number | null; customerId: string };

/**
 * Alerts wait a little (SLACK_ALERT_SETTLE_MS) and are checked again before they are posted: one that the
 * customer's current state no longer bears out (a burst of facts that settled elsewhere, a churn, a
 * recovery) is skipped with the reason instead, so every alert in Slack is still true when it lands.
 */
export async function supersededAlerts(db: D1Database, rows: OutboxRow[]): Promise<Map<string, string>> {
  const alerts = rows.filter((r) => r.payload.type === "slack.alert");
  const out = new Map<string, string>();
  if (alerts.length > 0) await checkAlerts(db, alerts, out);
  // A recovery answers an alert: if that alert was never posted (skipped earlier, or just now), neither is it.
  const recoveries = rows.filter((r) => r.payload.type === "slack.recovery");
  if (recoveries.length > 0) {
    const parents = recoveries.map((r) => (r.payload as { alertActionId: string }).alertActionId);
    const { results } = await db.prepare(`SELECT id FROM outbox WHERE +status = 'skipped' AND id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(parents)).all<{ id: string }>();
    const skipped = new Set(results.map((r) => r.id));
    for (const r of recoveries) {
      const parent = (r.payload as { alertActionId: string }).alertActionId;
      if (skipped.has(parent) || out.has(parent)) out.set(r.id, "the alert it answers was never posted");
    }
  }
  return out;
}

async function checkAlerts(db: D1Database, alerts: OutboxRow[], out: Map<string, string>): Promise<void> {
  const ids = [...new Set(alerts.map((r) => (r.payload as AlertPayload).customerId))];
  const { results } = await db
    .prepare(`SELECT id, score, band, stage, json_extract(health, '$.snapshot.firstValueMissed') AS missed FROM customers WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .all<{ id: string; score: number; band: string; stage: string; missed: number | null }>();
  const now = new Map(results.map((r) => [r.id, r]));
  for (const row of alerts) {
    const p = row.payload as AlertPayload;
    const c = now.get(p.customerId);
    if (!c) continue;
    const why = staleBecause(p, c);
    if (why) out.set(row.id, `superseded before posting: ${why}`);
  }
}

function staleBecause(p: AlertPayload, c: { score: number; band: string; stage: string; missed: number | null }): string | null {
  const now = `now ${c.band} at ${c.score}`;
  if (c.stage === "churned") return "the customer has churned";
  switch (p.rule) {
    case "entered_red":
      return c.band === "red" ? null : now;
    case "score_drop":
      return c.band === "green" || (p.previousScore !== null && c.score >= p.previousScore) ? now : null;
    case "first_value_missed":
      return c.missed ? null : "first value reached since";
    default:
      return null;
  }
}
