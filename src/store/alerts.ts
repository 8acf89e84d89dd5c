/** Acknowledge / snooze of a Slack alert. Snoozing also silences that customer's alerts until then. */
export async function recordAlertResponse(
  db: D1Database,
  r: { actionId: string; userId: string; snoozedUntil: number | null; now: number },
): Promise<boolean> {
  const alert = await db.prepare(`SELECT customer_id FROM outbox WHERE id = ? AND type = 'slack.alert'`).bind(r.actionId).first<{ customer_id: string | null }>();
  if (!alert) return false;
  const stmts = [
    db
      .prepare(
        `INSERT INTO alert_states (action_id, customer_id, status, by_user, at, snoozed_until) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (action_id) DO UPDATE SET status = excluded.status, by_user = excluded.by_user, at = excluded.at, snoozed_until = excluded.snoozed_until`,
      )
      .bind(r.actionId, alert.customer_id, r.snoozedUntil ? "snoozed" : "acknowledged", r.userId, r.now, r.snoozedUntil),
  ];
  if (r.snoozedUntil && alert.customer_id) {
    // Bumping the version makes a concurrent scoring commit retry on fresh state instead of overwriting this.
    stmts.push(
      db
        .prepare(`UPDATE customers SET alerts = json_set(alerts, '$.snoozedUntil', ?), version = version + 1 WHERE id = ?`)
        .bind(r.snoozedUntil, alert.customer_id),
    );
  }
  await db.batch(stmts);
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
