import type { NoiseAccount, NoiseAlert } from "../core/noise";

/** Rows per query, and the most pages read per request: the answer says when it stopped short. */
export const NOISE_PAGE = 1000;
export const NOISE_MAX_PAGES = 25;

/**
 * Alerts that went out, one posted message each or held for the digest (superseded and failed ones never reached
 * anyone), keyset-paged through the outbox's slack.alert index.
 */
export async function loadNoiseAlerts(db: D1Database): Promise<{ alerts: NoiseAlert[]; capped: boolean }> {
  const alerts: NoiseAlert[] = [];
  let cursor = { customerId: "", id: "" };
  for (let page = 0; page < NOISE_MAX_PAGES; page++) {
    const { results } = await db
      .prepare(
        `SELECT id, customer_id, json_extract(payload, '$.rule') AS rule, created_at FROM outbox
         WHERE type = 'slack.alert' AND customer_id IS NOT NULL AND (customer_id > ?1 OR (customer_id = ?1 AND id > ?2))
           AND (status = 'delivered' OR json_extract(result, '$.heldFor') = 'digest')
         ORDER BY customer_id, id LIMIT ?3`,
      )
      .bind(cursor.customerId, cursor.id, NOISE_PAGE)
      .all<{ id: string; customer_id: string; rule: string | null; created_at: number }>();
    for (const r of results) if (r.rule) alerts.push({ customerId: r.customer_id, rule: r.rule, at: r.created_at });
    if (results.length < NOISE_PAGE) return { alerts, capped: false };
    const last = results[results.length - 1]!;
    cursor = { customerId: last.customer_id, id: last.id };
  }
  return { alerts, capped: true };
}

/**
 * Every customer with the event time it first moved to the churned stage (stage_transitions, written from the
 * event-time timeline), else its stage_since if it is churned now.
 */
export async function loadNoiseAccounts(db: D1Database): Promise<{ accounts: NoiseAccount[]; capped: boolean }> {
  const accounts: NoiseAccount[] = [];
  let after = "";
  for (let page = 0; page < NOISE_MAX_PAGES; page++) {
    const { results } = await db
      .prepare(
        `SELECT c.id, COALESCE(
           (SELECT MIN(t.at) FROM stage_transitions t WHERE t.customer_id = c.id AND t.to_stage = 'churned'),
           CASE WHEN c.stage = 'churned' THEN c.stage_since END) AS churned_at
         FROM customers c WHERE c.id > ? ORDER BY c.id LIMIT ?`,
      )
      .bind(after, NOISE_PAGE)
      .all<{ id: string; churned_at: number | null }>();
    for (const r of results) accounts.push({ customerId: r.id, churnedAt: r.churned_at });
    if (results.length < NOISE_PAGE) return { accounts, capped: false };
    after = results[results.length - 1]!.id;
  }
  return { accounts, capped: true };
}
