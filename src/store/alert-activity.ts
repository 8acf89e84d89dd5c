/** What people did to an alert, newest first: acknowledge, snooze, assign, note, from either surface. */

export const ACTIVITY_KINDS = ["acknowledged", "snoozed", "assigned", "note"] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];
export type Surface = "dashboard" | "slack";

/** Each alert keeps its last 20 rows of each kind, so a busy alert cannot grow without bound. */
export const KEEP_PER_KIND = 20;
export const NOTE_MAX = 1000;

export interface AlertActivity {
  id: string;
  actionId: string;
  kind: ActivityKind;
  actor: string;
  surface: Surface;
  at: number;
  snoozedUntil: number | null;
  assignee: string | null;
  note: string | null;
}

type Raw = { id: string; action_id: string; kind: ActivityKind; actor: string; surface: Surface; at: number; snoozed_until: number | null; assignee: string | null; note: string | null };

/** The insert, and the prune that keeps the newest KEEP_PER_KIND of that kind for the alert. */
export function recordActivityStmts(db: D1Database, a: AlertActivity): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO alert_activity (id, action_id, kind, actor, surface, at, snoozed_until, assignee, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(a.id, a.actionId, a.kind, a.actor, a.surface, a.at, a.snoozedUntil, a.assignee, a.note === null ? null : a.note.slice(0, NOTE_MAX)),
    db
      .prepare(
        `DELETE FROM alert_activity WHERE action_id = ?1 AND kind = ?2 AND id NOT IN
           (SELECT id FROM alert_activity WHERE action_id = ?1 AND kind = ?2 ORDER BY at DESC, rowid DESC LIMIT ?3)`,
      )
      .bind(a.actionId, a.kind, KEEP_PER_KIND),
  ];
}

/** Activity for a page of alerts (at most KEEP_PER_KIND × 4 rows each), newest first. */
export async function activityFor(db: D1Database, actionIds: string[]): Promise<Map<string, AlertActivity[]>> {
  const out = new Map<string, AlertActivity[]>();
  if (actionIds.length === 0) return out;
  const { results } = await db
    .prepare(`SELECT * FROM alert_activity WHERE action_id IN (SELECT value FROM json_each(?)) ORDER BY at DESC, rowid DESC`)
    .bind(JSON.stringify(actionIds))
    .all<Raw>();
  for (const r of results) {
    const row: AlertActivity = { id: r.id, actionId: r.action_id, kind: r.kind, actor: r.actor, surface: r.surface, at: r.at, snoozedUntil: r.snoozed_until, assignee: r.assignee, note: r.note };
    out.set(r.action_id, [...(out.get(r.action_id) ?? []), row]);
  }
  return out;
}
