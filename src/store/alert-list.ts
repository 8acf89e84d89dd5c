import { describeDelivery } from "../core/alert-routing";

/** The Alerts page's query: alerts with their derived status and owner, filtered, grouped by account, paged. */

export const ALERT_STATUSES = ["open", "acknowledged", "snoozed", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertFilter {
  rule?: string | undefined;
  status?: AlertStatus | undefined;
  /** Matches the assignee, else the owner the alert was planned with; case-insensitive. */
  owner?: string | undefined;
  offset: number;
  limit: number;
}

export interface AlertListRow {
  id: string;
  customerId: string | null;
  customerName: string | null;
  payload: Record<string, unknown>;
  delivery: string;
  lastError: string | null;
  /** Where Slack delivery put it (a routed channel, a DM, the digest), from the stored result; null when it says nothing. */
  deliveredTo: string | null;
  createdAt: number;
  status: AlertStatus;
  /** Who acknowledged or snoozed it, and when (null while open). */
  by: string | null;
  at: number | null;
  snoozedUntil: number | null;
  resolvedAt: number | null;
  owner: string | null;
}

type Raw = {
  id: string;
  customer_id: string | null;
  customer_name: string | null;
  payload: string;
  delivery: string;
  last_error: string | null;
  result: string | null;
  created_at: number;
  alert_status: AlertStatus;
  by_user: string | null;
  state_at: number | null;
  snoozed_until: number | null;
  resolved_at: number | null;
  owner: string | null;
};

/**
 * Resolved means a recovery was planned for the alert (the condition cleared; the planner keys it
 * `slack.recovery:<alert id>`, so it is found by primary key); a snooze that has run out
 * reads as open again. Accounts are ordered by their newest alert, so an account's alerts stay together.
 * Reads one row past the page to say whether there is more.
 */
export async function listAlerts(db: D1Database, f: AlertFilter, now: number): Promise<{ rows: AlertListRow[]; more: boolean }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM (
         SELECT x.*,
           CASE WHEN x.resolved_at IS NOT NULL THEN 'resolved'
                WHEN x.state = 'snoozed' AND x.snoozed_until > ?1 THEN 'snoozed'
                WHEN x.state = 'acknowledged' THEN 'acknowledged'
                ELSE 'open' END AS alert_status
         FROM (
           SELECT o.id, o.customer_id, c.name AS customer_name, o.payload, o.status AS delivery, o.last_error, o.result, o.created_at,
             s.status AS state, s.by_user, s.at AS state_at, s.snoozed_until,
             (SELECT r.created_at FROM outbox r WHERE r.id = 'slack.recovery:' || o.id) AS resolved_at,
             COALESCE(
               (SELECT a.assignee FROM alert_activity a WHERE a.action_id = o.id AND a.kind = 'assigned' ORDER BY a.at DESC, a.rowid DESC LIMIT 1),
               json_extract(o.payload, '$.ownerEmail')) AS owner,
             MAX(o.created_at) OVER (PARTITION BY o.customer_id) AS account_latest
           FROM outbox o
           LEFT JOIN alert_states s ON s.action_id = o.id
           LEFT JOIN customers c ON c.id = o.customer_id
           WHERE o.type = 'slack.alert' AND (?2 IS NULL OR json_extract(o.payload, '$.rule') = ?2)
         ) x
       )
       WHERE (?3 IS NULL OR alert_status = ?3) AND (?4 IS NULL OR lower(owner) = lower(?4))
       ORDER BY account_latest DESC, customer_id, created_at DESC, id
       LIMIT ?5 OFFSET ?6`,
    )
    .bind(now, f.rule ?? null, f.status ?? null, f.owner ?? null, f.limit + 1, f.offset)
    .all<Raw>();
  const rows = results.slice(0, f.limit).map(
    (r): AlertListRow => ({
      id: r.id,
      customerId: r.customer_id,
      customerName: r.customer_name,
      payload: parsePayload(r.payload),
      delivery: r.delivery,
      lastError: r.last_error,
      deliveredTo: r.result ? describeDelivery(parsePayload(r.result)) : null,
      createdAt: r.created_at,
      status: r.alert_status,
      by: r.alert_status === "acknowledged" || r.alert_status === "snoozed" ? r.by_user : null,
      at: r.alert_status === "acknowledged" || r.alert_status === "snoozed" ? r.state_at : null,
      snoozedUntil: r.alert_status === "snoozed" ? r.snoozed_until : null,
      resolvedAt: r.resolved_at,
      owner: r.owner,
    }),
  );
  return { rows, more: results.length > f.limit };
}

function parsePayload(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
