import { recordActivityStmts, type Surface } from "./alert-activity";

/** The alert's outbox row as a response needs it: its payload (JSON) and its Slack delivery status. */
export interface StoredAlert {
  customerId: string | null;
  payload: string;
  delivery: string;
}

export interface AlertResponse {
  actionId: string;
  /** The new alert_activity row's id; the Slack update it causes is keyed by it. */
  activityId: string;
  actor: string;
  surface: Surface;
  snoozedUntil: number | null;
  now: number;
}

/**
 * Acknowledge / snooze of an alert, from a Slack button or the dashboard: one state for both. Snoozing also
 * silences that customer's alerts until then. Returns the alert's stored payload, or null for an unknown alert.
 */
export async function recordAlertResponse(
  db: D1Database,
  r: AlertResponse,
  /** Statements committed with the response, e.g. the outbox row that updates the Slack message. */
  followUp: (alert: StoredAlert) => D1PreparedStatement[] = () => [],
): Promise<StoredAlert | null> {
  const row = await db
    .prepare(`SELECT customer_id, payload, status FROM outbox WHERE id = ? AND type = 'slack.alert'`)
    .bind(r.actionId)
    .first<{ customer_id: string | null; payload: string; status: string }>();
  if (!row) return null;
  const alert: StoredAlert = { customerId: row.customer_id, payload: row.payload, delivery: row.status };
  const kind = r.snoozedUntil ? "snoozed" : "acknowledged";
  const stmts = [
    db
      .prepare(
        `INSERT INTO alert_states (action_id, customer_id, status, by_user, at, snoozed_until) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (action_id) DO UPDATE SET status = excluded.status, by_user = excluded.by_user, at = excluded.at, snoozed_until = excluded.snoozed_until`,
      )
      .bind(r.actionId, alert.customerId, kind, r.actor, r.now, r.snoozedUntil),
    ...recordActivityStmts(db, { id: r.activityId, actionId: r.actionId, kind, actor: r.actor, surface: r.surface, at: r.now, snoozedUntil: r.snoozedUntil, assignee: null, note: null }),
  ];
  if (r.snoozedUntil && alert.customerId) {
    // Bumping the version makes a concurrent scoring commit retry on fresh state instead of overwriting this.
    stmts.push(
      db
        .prepare(`UPDATE customers SET alerts = json_set(alerts, '$.snoozedUntil', ?), version = version + 1 WHERE id = ?`)
        .bind(r.snoozedUntil, alert.customerId),
    );
  }
  await db.batch([...stmts, ...followUp(alert)]);
  return alert;
}

/** Assigns an alert to an owner, or adds a note to it. False for an unknown alert. */
export async function recordAlertRemark(
  db: D1Database,
  r: { actionId: string; activityId: string; actor: string; now: number } & ({ kind: "assigned"; assignee: string } | { kind: "note"; note: string }),
): Promise<boolean> {
  const known = await db.prepare(`SELECT 1 AS ok FROM outbox WHERE id = ? AND type = 'slack.alert'`).bind(r.actionId).first();
  if (!known) return false;
  await db.batch(
    recordActivityStmts(db, {
      id: r.activityId,
      actionId: r.actionId,
      kind: r.kind,
      actor: r.actor,
      surface: "dashboard",
      at: r.now,
      snoozedUntil: null,
      assignee: r.kind === "assigned" ? r.assignee : null,
      note: r.kind === "note" ? r.note : null,
    }),
  );
  return true;
}

export interface SlashMatch {
  id: string;
  name: string | null;
  domain: string | null;
  score: number | null;
  band: string | null;
  stage: string | null;
  drivers: string | null;
}

/** `/health acme.com` or `/health Acme`: by domain first, then by name. */
export async function findCustomersForSlash(db: D1Database, text: string): Promise<SlashMatch[]> {
  const q = text.toLowerCase().replace(/^https?:\/\//, "").replace(/^www\./, "");
  const { results } = await db
    .prepare(
      `SELECT id, name, domain, score, band, stage, json_extract(health, '$.drivers') AS drivers FROM customers
       WHERE id IN (SELECT customer_id FROM identities WHERE kind = 'domain' AND value = ?1) OR lower(name) LIKE ?2
       ORDER BY (domain = ?1) DESC, score LIMIT 5`,
    )
    .bind(q, `%${q.replace(/[%_]/g, "")}%`)
    .all<Omit<SlashMatch, "drivers"> & { drivers: string | null }>();
  return results.map((r) => {
    const drivers = r.drivers ? (JSON.parse(r.drivers) as { detail: string }[]).slice(0, 2).map((d) => d.detail).join("; ") : null;
    return { ...r, drivers };
  });
}
